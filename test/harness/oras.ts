// oras (1.3.3, from Debian's unstable suite) as the referee for referrers and artifacts: what
// ferry writes, oras must read, and the reverse. Like crane.ts and skopeo.ts: every call runs with
// HOME and DOCKER_CONFIG pointing at an empty directory (no developer's credentials leak in; oras
// reads docker's config.json), with --plain-http for the harness's plain-HTTP registries and
// --ca-file for its TLS ones, and with the credentials of the harness user when the registry wants
// them.
import { runCommand } from './proc.js';
import type { Registry } from './registry.js';
import { makeTempDir } from './tmp.js';

export interface OrasOptions {
  /** Default 60 s. */
  timeoutMs?: number;
  /** The working directory (file arguments of push and attach are relative to it). */
  cwd?: string;
}

/** How oras reaches one harness registry: flags per registry, given after the subcommand. */
export function orasAccess(registry: Registry, user?: string): string[] {
  const flags = registry.tls ? (registry.caFile ? ['--ca-file', registry.caFile] : []) : ['--plain-http'];
  if (registry.auth !== 'none') {
    const u = registry.user(user);
    flags.push('-u', u.username, '-p', u.password);
  }
  return flags;
}

let home: Promise<string> | undefined;

/** `oras ARGS…`: its stdout, rejecting with oras's stderr in the message. */
export async function runOras(args: readonly string[], options: OrasOptions = {}): Promise<Buffer> {
  home ??= makeTempDir('oras-home');
  const dir = await home;
  const env: NodeJS.ProcessEnv = { PATH: process.env['PATH'], HOME: dir, DOCKER_CONFIG: dir };
  const { stdout } = await runCommand('oras', [...args], {
    env,
    timeoutMs: options.timeoutMs ?? 60_000,
    ...(options.cwd ? { cwd: options.cwd } : {}),
  });
  return stdout;
}

/** What `oras push/attach --format json` prints (the keys tests use). */
export interface OrasPushed {
  digest: string;
  mediaType: string;
  size: number;
  artifactType?: string;
}

const json = <T>(bytes: Buffer): T => JSON.parse(bytes.toString('utf8')) as T;

/** `oras push REF FILE[:TYPE]…` (files relative to `cwd`). */
export async function orasPush(
  ref: string,
  files: readonly string[],
  access: readonly string[],
  options: OrasOptions & { artifactType?: string; annotations?: Record<string, string> } = {},
): Promise<OrasPushed> {
  const args = ['push', ...access, '--format', 'json', ref, ...files];
  if (options.artifactType) args.push('--artifact-type', options.artifactType);
  for (const [k, v] of Object.entries(options.annotations ?? {})) args.push('--annotation', `${k}=${v}`);
  return json<OrasPushed>(await runOras(args, options));
}

/** `oras attach SUBJECT FILE…` with an artifact type. */
export async function orasAttach(
  subject: string,
  files: readonly string[],
  artifactType: string,
  access: readonly string[],
  options: OrasOptions & { annotations?: Record<string, string> } = {},
): Promise<OrasPushed> {
  const args = ['attach', ...access, '--format', 'json', '--artifact-type', artifactType, subject, ...files];
  for (const [k, v] of Object.entries(options.annotations ?? {})) args.push('--annotation', `${k}=${v}`);
  return json<OrasPushed>(await runOras(args, options));
}

/** One node of `oras discover --format json`. */
export interface OrasReferrer {
  digest: string;
  mediaType: string;
  size: number;
  artifactType?: string;
  annotations?: Record<string, string>;
  referrers: OrasReferrer[];
}

/** `oras discover --format json`: the tree of referrers (every depth). `target` is REF, or `--oci-layout DIR:TAG`. */
export async function orasDiscover(
  target: readonly string[],
  access: readonly string[],
  options: OrasOptions & { artifactType?: string } = {},
): Promise<{ digest: string; referrers: OrasReferrer[] }> {
  const args = ['discover', ...access, '--format', 'json', ...target];
  if (options.artifactType) args.push('--artifact-type', options.artifactType);
  return json(await runOras(args, options));
}

/** `oras pull REF -o DIR`. `target` is REF, or `--oci-layout DIR:TAG`. */
export async function orasPull(
  target: readonly string[],
  out: string,
  access: readonly string[],
  options: OrasOptions = {},
): Promise<void> {
  await runOras(['pull', ...access, '-o', out, ...target], options);
}

/** `oras manifest fetch`: the manifest's bytes. */
export function orasManifest(target: readonly string[], access: readonly string[]): Promise<Buffer> {
  return runOras(['manifest', 'fetch', ...access, ...target]);
}

/** `oras cp [-r] SRC DST` with whatever flags the sides need (--from-oci-layout, --to-plain-http…). */
export async function orasCopy(args: readonly string[], options: OrasOptions = {}): Promise<void> {
  await runOras(['cp', ...args], options);
}

/** The tree as `artifactType digest` lines, depth-first, indented by depth: easy to compare. */
export function treeLines(nodes: readonly OrasReferrer[], depth = 0): string[] {
  return [...nodes]
    .sort((a, b) => (a.digest < b.digest ? -1 : 1))
    .flatMap((n) => [
      `${'  '.repeat(depth)}${n.artifactType ?? ''} ${n.digest}`,
      ...treeLines(n.referrers ?? [], depth + 1),
    ]);
}

/** `oras repo tags`: the repository's tags, as the registry lists them. */
export async function orasTags(repository: string, access: readonly string[]): Promise<string[]> {
  const out = await runOras(['repo', 'tags', ...access, repository]);
  return out.toString('utf8').split('\n').filter(Boolean);
}
