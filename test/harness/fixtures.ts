// The standard repositories the read-command tests work on, pushed with skopeo so that ferry
// reads bytes ferry did not write:
//
//   lab/single:v1          one-platform OCI image manifest
//   lab/multi:v1           OCI index: linux/amd64, linux/arm64/v8, linux/arm/v7
//   lab/multi:v1-docker    the same index converted by skopeo to a Docker manifest list (v2s2)
//   lab/tags:<TAGS>        one small image under tags whose lexical and version orders differ
//
//   const seeded = await startSeededRegistries(['anonymous', 'basic', 'token', 'tls']);
//   await ferry([...seeded.basic.args, 'ls', `${seeded.basic.registry.host}/lab/tags`], seeded.basic.run);
//
// Seeding costs a handful of skopeo calls per registry (independent pushes run concurrently);
// the images are generated once per process and shared by every registry.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe } from 'node:test';
import { generateImage, type ImageSummary } from './images.js';
import { type Registry, type RegistryMode, startRegistry } from './registry.js';
import type { RegistryRequest } from './registry-log.js';
import { baseEnv, type FerryResult, ferry, type RunOptions } from './run-ferry.js';
import { dockerRef, pushImage, registryAccess, skopeoCopy, skopeoInspectRaw } from './skopeo.js';
import { makeTempDir } from './tmp.js';
import { httpStatus } from './wait.js';

/** Every registry mode, in the order the command tests run them. */
export const MODES = ['anonymous', 'basic', 'token', 'tls'] as const satisfies readonly RegistryMode[];

export const SINGLE = 'lab/single';
export const MULTI = 'lab/multi';
export const TAGS_REPO = 'lab/tags';
/** The platforms of lab/multi, as written in the index (and in each config). */
export const MULTI_PLATFORMS = ['linux/amd64', 'linux/arm64/v8', 'linux/arm/v7'] as const;
/** The tags of lab/tags, in lexical order (how `--limit`/`--last` page them; the registry lists them in no set order). */
export const TAGS = ['1.10', '1.2', '1.9', '10', '2.0-rc1', 'latest'] as const;
/** The same tags in the order people read versions (what `ferry ls` prints). */
export const TAGS_VERSION_ORDER = ['1.2', '1.9', '1.10', '2.0-rc1', '10', 'latest'] as const;
/** Every repository seeded, in catalog (lexical) order. */
export const REPOSITORIES = [MULTI, SINGLE, TAGS_REPO] as const;

export interface SeedImages {
  /** lab/single:v1 (OCI manifest). */
  single: ImageSummary;
  /** lab/multi:v1 (OCI index). */
  multi: ImageSummary;
  /** The image behind every lab/tags tag (OCI manifest). */
  tagged: ImageSummary;
}

export interface Seeded {
  images: SeedImages;
  /** Digest of lab/multi:v1-docker (skopeo rewrote the manifests, so it differs from multi.digest). */
  multiDockerDigest: string;
}

let imagesOnce: Promise<SeedImages> | undefined;

/** The seed images, generated once per process (deterministic: same bytes every run). */
export function seedImages(): Promise<SeedImages> {
  imagesOnce ??= (async () => {
    const [single, multi, tagged] = await Promise.all([
      generateImage({ tag: 'v1', seed: 'lab-single', layers: [512, 256] }),
      generateImage({ tag: 'v1', seed: 'lab-multi', layers: [256], platforms: [...MULTI_PLATFORMS] }),
      generateImage({ tag: 'base', seed: 'lab-tags', layers: [128] }),
    ]);
    return { single, multi, tagged };
  })();
  return imagesOnce;
}

/** Pushes the standard set (see the file comment) into `registry` with skopeo, as its '*' user. */
export async function seedRegistry(registry: Registry): Promise<Seeded> {
  const images = await seedImages();
  const [firstTag, ...otherTags] = TAGS;
  const access = registryAccess(registry);
  // Repositories are pushed concurrently, but one repository's pushes one after another: two
  // skopeo processes uploading the same blob into one repository at once can make the registry
  // answer "manifest blob unknown".
  const [, docker] = await Promise.all([
    pushImage(registry, `${SINGLE}:v1`, images.single),
    (async () => {
      await pushImage(registry, `${MULTI}:v1`, images.multi);
      return pushImage(registry, `${MULTI}:v1-docker`, images.multi, { docker: true });
    })(),
    (async () => {
      await pushImage(registry, `${TAGS_REPO}:${firstTag}`, images.tagged);
      // The blobs are there now: each further tag is a manifest PUT, copied registry to registry.
      // One at a time: registry 2.8's filesystem storage can answer 500 to a manifest read while
      // another request writes a tag link in the same repository.
      const source = dockerRef(registry, `${TAGS_REPO}:${firstTag}`);
      for (const tag of otherTags) {
        await skopeoCopy(source, dockerRef(registry, `${TAGS_REPO}:${tag}`), {
          src: access,
          dest: access,
          preserveDigests: true,
        });
      }
    })(),
  ]);
  return { images, multiDockerDigest: docker.digest };
}

/** One seeded registry and how to point ferry at it. */
export interface SeededRegistry extends Seeded {
  mode: RegistryMode;
  registry: Registry;
  /** Global flags ferry needs for this registry: credentials (basic, token) and --ca-file (tls). */
  args: string[];
  /** ferry() run options that go with `args` (the password on stdin, a clean env). */
  run: RunOptions;
  /** `args`/`run` for another user, or for a wrong password (`password` given). */
  as(user: string, password?: string): { args: string[]; run: RunOptions };
}

/** Runs ferry against a seeded registry with its flags (credentials, --ca-file) and run options. */
export function ferryOn(s: SeededRegistry, args: readonly string[]): Promise<FerryResult> {
  return ferry([...s.args, ...args], s.run);
}

/** The manifest bytes skopeo reads from a seeded registry (as the '*' user). */
export function skopeoRaw(s: SeededRegistry, ref: string): Promise<Buffer> {
  return skopeoInspectRaw(dockerRef(s.registry, ref), registryAccess(s.registry));
}

/** ferry flags and run options for `registry`, as `user` (default the '*' user; null = anonymous). */
export function ferryAccess(
  registry: Registry,
  user?: string | null,
  password?: string,
): { args: string[]; run: RunOptions } {
  const args: string[] = [];
  const run: RunOptions = { env: baseEnv() };
  if (registry.tls && registry.caFile !== undefined) args.push('--ca-file', registry.caFile);
  if (registry.auth !== 'none' && user !== null) {
    const u = registry.user(user);
    args.push('-u', u.username, '--password-stdin');
    run.stdin = `${password ?? u.password}\n`;
  }
  return { args, run };
}

/** Starts one registry per mode (concurrently) and seeds each; stop them with stopAll(). */
export async function startSeededRegistries<M extends RegistryMode>(
  modes: readonly M[],
): Promise<Record<M, SeededRegistry>> {
  const started = await Promise.allSettled(modes.map((mode) => startRegistry(mode)));
  const registries = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  try {
    const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) throw failed.reason;
    const seeded = await Promise.all(registries.map((r) => seedRegistry(r)));
    const out = {} as Record<M, SeededRegistry>;
    modes.forEach((mode, i) => {
      const registry = registries[i]!;
      out[mode] = {
        ...seeded[i]!,
        mode,
        registry,
        ...ferryAccess(registry),
        as: (user, password) => ferryAccess(registry, user, password),
      };
    });
    return out;
  } catch (error) {
    await Promise.all(registries.map((r) => r.stop()));
    throw error;
  }
}

/**
 * A describe block over seeded registries, one per mode, started before its tests and stopped
 * after them. `body` gets the registries by mode: the object is filled when the block starts, so
 * read it inside tests and hooks (a `before` of the body runs after the registries are up).
 *
 *   describeSeeded('ferry ls', MODES, (seeded) => {
 *     for (const mode of MODES) test(`${mode}`, async () => { await ferryOn(seeded[mode], […]); });
 *   });
 */
export function describeSeeded<M extends RegistryMode>(
  name: string,
  modes: readonly M[],
  body: (seeded: Readonly<Record<M, SeededRegistry>>) => void,
): void {
  describe(name, () => {
    const seeded: Partial<Record<M, SeededRegistry>> = {};
    before(async () => {
      Object.assign(seeded, await startSeededRegistries(modes));
    });
    after(() => stopAll(seeded));
    body(seeded as Record<M, SeededRegistry>);
  });
}

/** Stops every registry of a startSeededRegistries result (safe to call with undefined). */
export async function stopAll(
  seeded: Partial<Record<RegistryMode, SeededRegistry>> | undefined,
): Promise<void> {
  await Promise.all(Object.values(seeded ?? {}).map((s) => s?.registry.stop()));
}

/** A DOCKER_CONFIG dir whose config.json holds `auths` for `registry` (user:password). */
export async function dockerConfigFor(registry: Registry, user?: string, password?: string): Promise<string> {
  const dir = await makeTempDir('docker-config');
  const u = registry.user(user);
  const auth = Buffer.from(`${u.username}:${password ?? u.password}`).toString('base64');
  await writeFile(join(dir, 'config.json'), JSON.stringify({ auths: { [registry.host]: { auth } } }));
  return dir;
}

/**
 * Asserts that a failed run printed exactly one line on stderr, starting with "ferry: ", and
 * nothing on stdout; returns the line without its newline.
 */
export function errorLine(result: FerryResult): string {
  assert.match(
    result.stderr,
    /^ferry: [^\n]*\n$/,
    `one "ferry: " line on stderr, got ${JSON.stringify(result.stderr)}`,
  );
  assert.equal(result.stdout, '', 'nothing on stdout after an error');
  return result.stderr.slice(0, -1);
}

/**
 * Asserts a failed run: exit `code` (undefined: any failure), nothing on stdout, one "ferry: "
 * line on stderr (so no stack trace either) that matches `pattern`; returns the line.
 */
export function assertFailure(result: FerryResult, code: number | undefined, pattern?: RegExp): string {
  if (code === undefined) assert.notEqual(result.code, 0, 'the run must fail');
  else assert.equal(result.code, code, `exit code (stderr: ${result.stderr})`);
  const line = errorLine(result);
  if (pattern) assert.match(line, pattern);
  return line;
}

let markers = 0;

/**
 * Sends a request the registry logs under a path no test uses, and waits until its line is in the
 * log. The registry logs a request just after answering it, so a request answered before the
 * marker was sent is logged before the marker's line: the marker fences the log.
 */
async function logMarker(registry: Registry, what: 'start' | 'end'): Promise<string> {
  const marker = `/v2/ferry-test-marker-${process.pid}-${++markers}-${what}/tags/list`;
  await httpStatus(`${registry.url}${marker}`, {
    ...(registry.caPem === undefined ? {} : { ca: registry.caPem }),
    ...registry.clientTls,
  });
  await registry.waitForLog(`"GET ${marker} `);
  return marker;
}

/**
 * Runs `work` and returns the requests the registry logged meanwhile: those between a marker
 * request sent before `work` and one sent after it. Both ends need the fence, since the log lags
 * the answers: without the start marker, a request of an earlier test answered just before `work`
 * began could be logged after it began, and be counted as `work`'s.
 */
export async function requestsDuring<T>(
  registry: Registry,
  work: () => Promise<T>,
): Promise<{ value: T; requests: RegistryRequest[] }> {
  const startMarker = await logMarker(registry, 'start');
  const value = await work();
  const endMarker = await logMarker(registry, 'end');
  const logged = registry.requests();
  const start = logged.findIndex((r) => r.path === startMarker);
  const end = logged.findIndex((r, i) => i > start && r.path === endMarker);
  assert.ok(start >= 0 && end > start, 'both markers are in the registry log, in order');
  return { value, requests: logged.slice(start + 1, end) };
}
