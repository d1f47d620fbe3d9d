/**
 * The docker-credential-helpers protocol: run `docker-credential-<name> <action>`, write the input
 * to stdin, close it, read stdout. `get` answers `{"ServerURL","Username","Secret"}`; a Username of
 * literally "<token>" means Secret is an identity (refresh) token. Helpers report errors on stdout
 * with exit status 1, and "no credentials" as the fixed message below
 * (docker-credential-helpers `credentials/credentials.go`, `credentials/error.go`, `client/client.go`).
 */
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { CredentialHelperError } from '../errors.js';
import { ANONYMOUS, type Credential } from './credential.js';

export const HELPER_PREFIX = 'docker-credential-';
export const CREDENTIALS_NOT_FOUND = 'credentials not found in native keychain';
export const TOKEN_USERNAME = '<token>';
export const DEFAULT_HELPER_TIMEOUT_MS = 30_000;

/** Enough for any real answer; a helper printing more is broken and is stopped. */
const MAX_OUTPUT_BYTES = 1024 * 1024;

export type HelperAction = 'get' | 'store' | 'erase' | 'list';

export interface HelperOptions {
  /** The child's environment; its PATH is where the program is looked up. */
  env: NodeJS.ProcessEnv;
  timeoutMs?: number;
  /** The config file that named the helper, for the "not found" hint. */
  configOrigin?: string | undefined;
}

export interface HelperRun {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export function helperProgram(helper: string): string {
  return HELPER_PREFIX + helper;
}

/**
 * Helper output made fit for an error message: secret-looking JSON values blanked, whitespace
 * folded to one line, length capped.
 */
export function helperOutputLine(text: string): string {
  const blanked = text.replace(
    /"(secret|password|identitytoken|registrytoken|auth|token)"(\s*:\s*)"(?:[^"\\]|\\.)*"?/gi,
    '"$1"$2"<redacted>"',
  );
  const line = blanked.replace(/\s+/g, ' ').trim();
  return line.length > 300 ? `${line.slice(0, 300)}…` : line;
}

/**
 * Runs one helper action to completion. Resolves with whatever it printed and its exit status;
 * rejects with CredentialHelperError only when it could not be run or did not finish in time.
 */
export async function runCredentialHelper(
  helper: string,
  action: HelperAction,
  input: string,
  options: HelperOptions,
): Promise<HelperRun> {
  const program = helperProgram(helper);
  const timeoutMs = options.timeoutMs ?? DEFAULT_HELPER_TIMEOUT_MS;
  // Loaded only when a helper is configured: child_process is a cost every start would pay.
  const { spawn } = await import('node:child_process');
  return new Promise<HelperRun>((resolve, reject) => {
    let child: ChildProcessWithoutNullStreams;
    try {
      child = spawn(program, [action], { env: options.env, stdio: 'pipe', windowsHide: true });
    } catch (e) {
      // Synchronous failures are bad arguments, e.g. a NUL byte in the helper's name.
      reject(new CredentialHelperError(`credential helper ${program} could not be run`, { cause: e }));
      return;
    }
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let size = 0;
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    const finish = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      fn();
    };
    // Stop the child and stop waiting for it: a killed shell script's own children may keep the
    // pipes open, so 'close' would not come.
    const abandon = (error: CredentialHelperError): void =>
      finish(() => {
        child.kill('SIGKILL');
        child.stdout.destroy();
        child.stderr.destroy();
        reject(error);
      });

    timer = setTimeout(() => {
      abandon(
        new CredentialHelperError(`credential helper ${program} did not answer within ${timeoutMs / 1000}s`, {
          hint: 'it may be waiting for a login prompt or a slow cloud API; run it by hand to see',
        }),
      );
    }, timeoutMs);

    const collect = (chunks: Buffer[]) => (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_OUTPUT_BYTES) {
        abandon(new CredentialHelperError(`credential helper ${program} printed more than 1 MiB`));
        return;
      }
      chunks.push(chunk);
    };
    child.stdout.on('data', collect(out));
    child.stderr.on('data', collect(err));

    child.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') {
        const where = options.configOrigin ?? 'config.json';
        abandon(
          new CredentialHelperError(`credential helper ${program} not found in PATH`, {
            hint: `install ${program}, or remove "${helper}" from "credsStore"/"credHelpers" in ${where}`,
            cause: e,
          }),
        );
      } else {
        abandon(
          new CredentialHelperError(`credential helper ${program} could not be run: ${e.code ?? e.message}`, {
            cause: e,
          }),
        );
      }
    });
    child.on('close', (exitCode, signal) => {
      finish(() =>
        resolve({
          exitCode,
          signal,
          stdout: Buffer.concat(out).toString('utf8'),
          stderr: Buffer.concat(err).toString('utf8'),
        }),
      );
    });

    // A helper that exits without reading stdin makes the write fail with EPIPE; its exit status
    // tells the real story, so the stdin error itself is not interesting.
    child.stdin.on('error', () => {});
    child.stdin.end(input);
  });
}

/** The error for a helper that ran but failed; shows what it printed (helpers use stdout too). */
export function helperFailure(helper: string, action: HelperAction, run: HelperRun): CredentialHelperError {
  const status = run.signal ? `killed by ${run.signal}` : `exit status ${run.exitCode}`;
  const said = [helperOutputLine(run.stdout), helperOutputLine(run.stderr)].filter((s) => s !== '');
  const detail = said.length > 0 ? said.join(' | ') : 'no output';
  return new CredentialHelperError(
    `credential helper ${helperProgram(helper)} ${action} failed (${status}): ${detail}`,
  );
}

/**
 * Asks a helper for the credentials of `serverUrl` (docker's key: the Docker Hub v1 URL, else
 * host[:port]). "Not found" is anonymous, not an error.
 */
export async function getFromHelper(
  helper: string,
  serverUrl: string,
  options: HelperOptions,
): Promise<Credential> {
  const run = await runCredentialHelper(helper, 'get', serverUrl, options);
  if (run.exitCode !== 0) {
    if (run.stdout.includes(CREDENTIALS_NOT_FOUND) || run.stderr.includes(CREDENTIALS_NOT_FOUND))
      return ANONYMOUS;
    throw helperFailure(helper, 'get', run);
  }
  const program = helperProgram(helper);
  // The answer holds the secret, so a bad one is described, never quoted.
  const bad = (what: string): CredentialHelperError => {
    const stderr = helperOutputLine(run.stderr);
    return new CredentialHelperError(
      `credential helper ${program} get returned ${what} for ${serverUrl}${stderr ? `: ${stderr}` : ''}`,
    );
  };
  let answer: unknown;
  try {
    answer = JSON.parse(run.stdout);
  } catch {
    throw bad(run.stdout.trim() === '' ? 'no output' : `invalid JSON (${run.stdout.length} bytes)`);
  }
  if (typeof answer !== 'object' || answer === null || Array.isArray(answer)) throw bad('a non-object');
  const { Username: username = '', Secret: secret = '' } = answer as Record<string, unknown>;
  if (typeof username !== 'string' || typeof secret !== 'string') {
    throw bad('a Username or Secret that is not a string');
  }
  if (username === TOKEN_USERNAME) return secret ? { kind: 'identityToken', token: secret } : ANONYMOUS;
  if (username === '' && secret === '') return ANONYMOUS;
  if (username === '') throw bad('a Secret without a Username');
  return { kind: 'basic', username, password: secret };
}
