/**
 * Typed errors with stable codes. Every failure ferry reports is a FerryError; `cli.ts` turns one
 * into a single stderr line (plus an optional hint) and its exit code. Tests assert on `code`,
 * never on message text.
 *
 * Exit codes are a public contract (README "Exit codes"): scripts use them to tell "absent" (1)
 * from "could not check" (3 and up).
 */

export const ExitCode = {
  ok: 0,
  notFound: 1,
  usage: 2,
  auth: 3,
  network: 4,
  tls: 5,
  digestMismatch: 6,
  registry: 7,
  local: 8,
  /**
   * A run of many images (`copy -a`, `sync`) where some failed, and either others did not or the
   * failures had different exit codes; all failed with one code exits with that code
   * (copy/many.ts exitCodeOf).
   */
  partial: 9,
  internal: 10,
  /** 128 + SIGINT, as shells report a process ended by Ctrl-C. */
  interrupted: 130,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export type ErrorCode =
  | 'E_USAGE'
  | 'E_REF'
  | 'E_NOT_FOUND'
  | 'E_AUTH'
  | 'E_CRED_HELPER'
  | 'E_NETWORK'
  | 'E_TLS'
  | 'E_DIGEST_MISMATCH'
  | 'E_REGISTRY'
  | 'E_UNSUPPORTED'
  | 'E_INVALID_CONTENT'
  | 'E_LOCAL'
  | 'E_INTERNAL';

const exitCodes: Record<ErrorCode, ExitCode> = {
  E_USAGE: ExitCode.usage,
  E_REF: ExitCode.usage,
  E_NOT_FOUND: ExitCode.notFound,
  E_AUTH: ExitCode.auth,
  E_CRED_HELPER: ExitCode.auth,
  E_NETWORK: ExitCode.network,
  E_TLS: ExitCode.tls,
  E_DIGEST_MISMATCH: ExitCode.digestMismatch,
  E_REGISTRY: ExitCode.registry,
  E_UNSUPPORTED: ExitCode.registry,
  E_INVALID_CONTENT: ExitCode.registry,
  E_LOCAL: ExitCode.local,
  E_INTERNAL: ExitCode.internal,
};

export interface FerryErrorOptions {
  /** A suggestion printed on a second line ("hint: ..."), e.g. which flag to use. */
  hint?: string | undefined;
  cause?: unknown;
}

export class FerryError extends Error {
  readonly code: ErrorCode;
  readonly hint: string | undefined;

  constructor(code: ErrorCode, message: string, options: FerryErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.hint = options.hint;
  }

  get exitCode(): ExitCode {
    return exitCodes[this.code];
  }
}

export class UsageError extends FerryError {
  constructor(message: string, options?: FerryErrorOptions) {
    super('E_USAGE', message, options);
  }
}

/** A reference, repository or host that does not follow the distribution grammar. */
export class RefError extends FerryError {
  constructor(message: string, options?: FerryErrorOptions) {
    super('E_REF', message, options);
  }
}

export class NotFoundError extends FerryError {
  constructor(message: string, options?: FerryErrorOptions) {
    super('E_NOT_FOUND', message, options);
  }
}

export class AuthError extends FerryError {
  constructor(message: string, options?: FerryErrorOptions) {
    super('E_AUTH', message, options);
  }
}

/** A docker-credential-* helper that is missing or failed (not "credentials not found"). */
export class CredentialHelperError extends FerryError {
  constructor(message: string, options?: FerryErrorOptions) {
    super('E_CRED_HELPER', message, options);
  }
}

export interface NetworkErrorOptions extends FerryErrorOptions {
  /**
   * A failure that may pass if tried again (a reset connection, a stalled peer), as opposed to
   * one that will not (connection refused, unknown host). Only transient failures are retried.
   */
  transient?: boolean | undefined;
}

export class NetworkError extends FerryError {
  readonly transient: boolean;
  constructor(message: string, options: NetworkErrorOptions = {}) {
    super('E_NETWORK', message, options);
    this.transient = options.transient === true;
  }
}

export class TlsError extends FerryError {
  constructor(message: string, options?: FerryErrorOptions) {
    super('E_TLS', message, options);
  }
}

export class DigestMismatchError extends FerryError {
  readonly expected: string;
  /** The digest of the bytes ferry saw; undefined when a registry did the check (its DIGEST_INVALID). */
  readonly actual: string | undefined;
  constructor(what: string, expected: string, actual: string | undefined, options?: FerryErrorOptions) {
    super(
      'E_DIGEST_MISMATCH',
      actual === undefined
        ? `digest mismatch for ${what}: expected ${expected}, the registry computed another digest from the bytes it received (altered in transit?)`
        : `digest mismatch for ${what}: expected ${expected}, got ${actual}`,
      options,
    );
    this.expected = expected;
    this.actual = actual;
  }
}

/** Content (a manifest, an index, a config) that is not what the spec allows. */
export class InvalidContentError extends FerryError {
  constructor(message: string, options?: FerryErrorOptions) {
    super('E_INVALID_CONTENT', message, options);
  }
}

export class LocalError extends FerryError {
  constructor(message: string, options?: FerryErrorOptions) {
    super('E_LOCAL', message, options);
  }
}

const SYSTEM_REASONS: Readonly<Record<string, string>> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOENT: 'no such file or directory',
  ENOTDIR: 'a part of the path is not a directory',
  EISDIR: 'it is a directory',
  ELOOP: 'too many levels of symbolic links',
  ENAMETOOLONG: 'the name is too long',
  EEXIST: 'it exists already',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  EROFS: 'read-only file system',
  EFBIG: 'the file is too large',
  EIO: 'input/output error',
  EMFILE: 'too many open files',
  ENFILE: 'too many open files in the system',
  EBUSY: 'resource busy',
  ETXTBSY: 'text file busy',
};

const SYSTEM_VERBS: Readonly<Record<string, string>> = {
  open: 'open',
  read: 'read',
  stat: 'read',
  lstat: 'read',
  fstat: 'read',
  scandir: 'list',
  opendir: 'list',
  mkdir: 'create',
  mkdtemp: 'create',
  write: 'write',
  rename: 'rename',
  unlink: 'remove',
  rmdir: 'remove',
  rm: 'remove',
  fsync: 'flush',
  copyfile: 'copy',
};

/**
 * A file system error as Node throws it (a `code` such as EACCES, a `syscall`, and the `path`) as
 * the LocalError it is: "cannot open PATH: permission denied", exit 8, not an internal error.
 * Node leaves the path out of errors on an open file (a read on a FileHandle); those are
 * recognised by a file system code. A socket's errors (ECONNRESET, EPIPE...) give undefined.
 */
export function localErrorFrom(err: unknown): LocalError | undefined {
  if (err instanceof FerryError || !(err instanceof Error)) return undefined;
  const { code, syscall, path } = err as NodeJS.ErrnoException;
  if (typeof code !== 'string') return undefined;
  const reason = SYSTEM_REASONS[code];
  if (typeof path !== 'string' && reason === undefined) return undefined;
  const verb = (syscall && SYSTEM_VERBS[syscall]) ?? 'use';
  const what = typeof path === 'string' ? ` ${path}` : ' a local file';
  return new LocalError(`cannot ${verb}${what}: ${reason ?? code}`, { cause: err });
}

export function isFerryError(err: unknown): err is FerryError {
  return err instanceof FerryError;
}
