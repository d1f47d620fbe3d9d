// Thin async wrappers over the skopeo CLI (1.9.3), the peer client tests use as a referee.
// Errors are CommandError (proc.ts) whose message includes skopeo's stderr.
//
// Isolation: every call runs with REGISTRY_AUTH_FILE pointing at a file that does not exist
// (unless `authfile` is given), so a developer's own auth.json never leaks into tests, and copy
// runs with --insecure-policy (no dependency on /etc/containers/policy.json).
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ImageSummary } from './images.js';
import { runCommand } from './proc.js';
import type { Registry } from './registry.js';
import { makeTempDir } from './tmp.js';

/** How to reach one registry: TLS verification, CA dir and credentials. */
export interface SkopeoAccess {
  /** false for plain-HTTP registries (skopeo then tries https and falls back to http). Default true. */
  tlsVerify?: boolean;
  /** Directory with `*.crt` CA files (and optional client `*.cert`/`*.key`). */
  certDir?: string;
  /** 'user:password'. */
  creds?: string;
  /** Use no credentials at all, not even from an auth file (--no-creds). */
  noCreds?: boolean;
}

export interface SkopeoCommonOptions {
  /** Docker-style config file: {"auths":{"127.0.0.1:PORT":{"auth":"base64(user:pass)"}}}. */
  authfile?: string;
  /** Default 60 s. */
  timeoutMs?: number;
  /** Arguments appended before the image references. */
  extraArgs?: string[];
}

export interface SkopeoCopyOptions extends SkopeoCommonOptions {
  src?: SkopeoAccess;
  dest?: SkopeoAccess;
  /** --all: copy every image of an index, not just the host platform's. */
  all?: boolean;
  /** --format: 'v2s2' converts to Docker media types (v2s2 manifests, manifest lists). */
  format?: 'oci' | 'v2s2';
  /** --preserve-digests: fail rather than change a digest. */
  preserveDigests?: boolean;
}

export interface SkopeoCopyResult {
  /** Digest of the top-level manifest written (from --digestfile). */
  digest: string;
}

/** skopeo's stdout/stderr results, rejecting with skopeo's stderr in the message. */
export async function runSkopeo(args: string[], options: SkopeoCommonOptions = {}): Promise<Buffer> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  if (options.authfile === undefined)
    env['REGISTRY_AUTH_FILE'] = join(await scratchDir(), 'no-such-auth.json');
  const { stdout } = await runCommand('skopeo', args, { env, timeoutMs: options.timeoutMs ?? 60_000 });
  return stdout;
}

let scratch: Promise<string> | undefined;
function scratchDir(): Promise<string> {
  scratch ??= makeTempDir('skopeo');
  return scratch;
}

function accessFlags(prefix: '' | 'src-' | 'dest-', access: SkopeoAccess = {}): string[] {
  const flags: string[] = [];
  if (access.tlsVerify !== undefined) flags.push(`--${prefix}tls-verify=${access.tlsVerify}`);
  if (access.certDir !== undefined) flags.push(`--${prefix}cert-dir`, access.certDir);
  if (access.creds !== undefined) flags.push(`--${prefix}creds`, access.creds);
  if (access.noCreds) flags.push(`--${prefix}no-creds`);
  return flags;
}

const authfileFlags = (options: SkopeoCommonOptions): string[] =>
  options.authfile === undefined ? [] : ['--authfile', options.authfile];

/** `skopeo copy SRC DST`; references include the transport (docker://, oci:, docker-archive:, ...). */
export async function skopeoCopy(
  src: string,
  dst: string,
  options: SkopeoCopyOptions = {},
): Promise<SkopeoCopyResult> {
  const digestFile = join(await scratchDir(), `digest-${process.pid}-${Date.now()}-${Math.random()}`);
  const args = [
    '--insecure-policy',
    'copy',
    '--quiet',
    '--digestfile',
    digestFile,
    ...authfileFlags(options),
    ...accessFlags('src-', options.src),
    ...accessFlags('dest-', options.dest),
  ];
  if (options.all) args.push('--all');
  if (options.format) args.push('--format', options.format);
  if (options.preserveDigests) args.push('--preserve-digests');
  args.push(...(options.extraArgs ?? []), src, dst);
  await runSkopeo(args, options);
  return { digest: (await readFile(digestFile, 'utf8')).trim() };
}

/** `skopeo inspect FLAGS… REF` with the access and auth-file flags of `options`. */
function skopeoInspect(
  flags: string[],
  ref: string,
  options: SkopeoAccess & SkopeoCommonOptions,
): Promise<Buffer> {
  return runSkopeo(
    [
      'inspect',
      ...flags,
      ...authfileFlags(options),
      ...accessFlags('', options),
      ...(options.extraArgs ?? []),
      ref,
    ],
    options,
  );
}

/** `skopeo inspect --raw`: the exact manifest bytes the registry serves. */
export function skopeoInspectRaw(
  ref: string,
  options: SkopeoAccess & SkopeoCommonOptions = {},
): Promise<Buffer> {
  return skopeoInspect(['--raw'], ref, options);
}

/** `skopeo inspect --config --raw`: the config blob of the (host-platform) image. */
export function skopeoInspectConfig(
  ref: string,
  options: SkopeoAccess & SkopeoCommonOptions = {},
): Promise<Buffer> {
  return skopeoInspect(['--config', '--raw'], ref, options);
}

/** `skopeo list-tags`: the tags of a repository (`docker://HOST/REPO`), in the registry's order. */
export async function skopeoListTags(
  ref: string,
  options: SkopeoAccess & SkopeoCommonOptions = {},
): Promise<string[]> {
  const out = await runSkopeo(
    ['list-tags', ...authfileFlags(options), ...accessFlags('', options), ...(options.extraArgs ?? []), ref],
    options,
  );
  return (JSON.parse(out.toString('utf8')) as { Tags: string[] | null }).Tags ?? [];
}

/** `skopeo delete`: deletes the manifest a reference points to (resolves tags to digests). */
export async function skopeoDelete(
  ref: string,
  options: SkopeoAccess & SkopeoCommonOptions = {},
): Promise<void> {
  await runSkopeo(
    ['delete', ...authfileFlags(options), ...accessFlags('', options), ...(options.extraArgs ?? []), ref],
    options,
  );
}

/** The digest of manifest bytes (sha256, as registries compute it). */
export function skopeoDigestOf(bytes: Buffer | string): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/**
 * SkopeoAccess for a harness registry: plain HTTP → tlsVerify false; TLS → its CA cert dir;
 * basic/token → the given user's creds (default: the user with '*' actions; null = anonymous).
 */
export function registryAccess(registry: Registry, user?: string | null): SkopeoAccess {
  const access: SkopeoAccess = registry.tls
    ? registry.certDir === undefined
      ? {}
      : { certDir: registry.certDir }
    : { tlsVerify: false };
  if (registry.auth !== 'none' && user !== null) access.creds = registry.creds(user);
  return access;
}

/** The digest of the manifest `ref` names on a harness registry, from the bytes skopeo reads. */
export async function skopeoDigestAt(registry: Registry, ref: string): Promise<string> {
  return skopeoDigestOf(await skopeoInspectRaw(dockerRef(registry, ref), registryAccess(registry)));
}

/** 'docker://127.0.0.1:PORT/REPO:TAG' for a harness registry. */
export function dockerRef(registry: Registry, repoAndTagOrDigest: string): string {
  return `docker://${registry.host}/${repoAndTagOrDigest}`;
}

export interface PushOptions {
  /** Convert to Docker media types (skopeo --format v2s2): v2s2 manifests / a manifest list. */
  docker?: boolean;
  /** Which user pushes (default the '*' user). */
  user?: string;
  /** skopeo --preserve-digests: the registry gets every byte as it is in the layout. */
  preserveDigests?: boolean;
}

/**
 * Pushes a generated image/index (all platforms) to `registry` as `repoTag` ('repo/name:tag').
 * OCI pushes keep every digest (the result's digest equals `image.digest`); Docker conversion
 * rewrites manifests (new manifest digests; layer blobs are unchanged).
 */
export function pushImage(
  registry: Registry,
  repoTag: string,
  image: ImageSummary,
  options: PushOptions = {},
): Promise<SkopeoCopyResult> {
  return skopeoCopy(image.ref, dockerRef(registry, repoTag), {
    all: true,
    dest: registryAccess(registry, options.user),
    ...(options.docker ? { format: 'v2s2' as const } : {}),
    ...(options.preserveDigests ? { preserveDigests: true } : {}),
  });
}
