/**
 * The workloads of the issues, each a set of contenders run in alternation (ferry, crane, skopeo,
 * and `node -e 0` where a target needs Node's bare start-up) with what has to happen around every
 * run: a fresh destination registry, files removed, a check that the run really did the work (a
 * fast failure must not look like a fast copy).
 *
 * Commands are the ones a user types: the built `bin/ferry.js`, `crane --insecure …` and skopeo
 * with `--src-tls-verify=false --dest-tls-verify=false` (plain HTTP on loopback). ferry needs no
 * flag: it treats loopback registries as plain-HTTP-capable by itself. The `-rtt40` workloads run
 * the same commands against latency proxies (latency-proxy.ts) in front of both registries.
 */
import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Registry } from '../test/harness/registry.js';
import type { BenchContext } from './context.js';
import type { Command } from './measure.js';
import { runQuiet } from './proc.js';
import { manifestDigest } from './seed.js';
import { SYNC_WORKLOADS } from './sync-workload.js';

export interface Contender {
  /** 'ferry', 'crane', 'skopeo', 'node -e 0'. */
  name: string;
  command(ctx: BenchContext): Command;
  /**
   * A point of reference, not a client (`node -e 0`): no destination is prepared for it, nothing
   * is checked or counted after it.
   */
  baseline?: boolean;
}

/** Where a target comes from: issue 10 ("as fast as crane"), or the benchmark's first issue. */
export type TargetOrigin = 'issue 10' | 'issue 11' | 'earlier';

type TargetKind =
  /** Median of the round-by-round wall-time ratios ferry / `versus` at most `max`. */
  | { kind: 'ratio'; versus: string; max: number }
  /**
   * Median over rounds of (ferry's CPU s − `node -e 0`'s CPU s) / `versus`'s CPU s at most `max`:
   * ferry's own work, Node's start-up left out, against the other client's whole.
   */
  | { kind: 'cpu-over-node'; versus: string; max: number }
  /** Median over rounds of ferry's CPU s − `node -e 0`'s CPU s at most `maxMs`. */
  | { kind: 'cpu-over-node-ms'; maxMs: number }
  /** ferry's peak RSS at most `maxMiB` in every run. */
  | { kind: 'rss'; maxMiB: number }
  /** ferry's peak RSS at most (1 + slack) × its peak in workload `versus` (flat with size). */
  | { kind: 'rss-flat'; versus: string; slack: number }
  /** ferry's median wall at most (1 + slack) × the registry's ingest limit (curl PUT), from limits.ts. */
  | { kind: 'ingest'; slack: number };

export type Target = TargetKind & { origin: TargetOrigin };

/**
 * The fewest requests and round trips the protocol allows for the workload, for a client that
 * checks before it sends (a ping per registry to learn its auth, a HEAD per blob), with the
 * reasoning. Round trips count the critical path: requests that can go out together count once.
 */
export interface Protocol {
  requests: number;
  roundTrips: number;
  why: string;
}

export interface Workload {
  id: string;
  title: string;
  /** Pairs (rounds, for three contenders) in a full run and under --quick. */
  pairs: number;
  quickPairs: number;
  /** Unmeasured runs of each contender first (start-up caches, page cache of binaries). */
  warmup: number;
  contenders: Contender[];
  targets: Target[];
  /** Count registry requests per run (copy workloads). */
  countRequests: boolean;
  /** Through latency proxies with this round-trip time in front of both registries (latency-proxy.ts). */
  rttMs?: number;
  /** For a workload through the proxies: the loopback workload it repeats (round-trip estimate). */
  loopback?: string;
  protocol?: Protocol;
  /** Once, before the first run. */
  setup?(ctx: BenchContext): Promise<void>;
  /** Before every run (warm-ups included), not measured. */
  before?(ctx: BenchContext, contender: string): Promise<void>;
  /** After every run: throws when the run did not produce what it should have. */
  check?(ctx: BenchContext, contender: string): Promise<void>;
  /** Once, at the end (also after a failure). */
  teardown?(ctx: BenchContext): Promise<void>;
}

const NODE = process.execPath;

function ferry(ctx: BenchContext, ...args: string[]): Command {
  return { cmd: NODE, args: [ctx.ferryBin, ...args], env: ctx.env };
}

/** crane with `--insecure`, as a user of a plain-HTTP registry runs it. */
function crane(ctx: BenchContext, ...args: string[]): Command {
  return { cmd: 'crane', args: ['--insecure', ...args], env: ctx.env };
}

function skopeo(ctx: BenchContext, ...args: string[]): Command {
  return { cmd: 'skopeo', args, env: ctx.env };
}

/** Bare Node start-up: what any Node CLI pays before its first line runs. */
const NODE_START: Contender = {
  name: 'node -e 0',
  baseline: true,
  command: (ctx) => ({ cmd: NODE, args: ['-e', '0'], env: ctx.env }),
};

const RTT = 40;

/** The destination has `repo:tag` pointing at `digest` (or at anything, when digest is undefined). */
async function expectTag(
  registry: Registry,
  repository: string,
  tag: string,
  digest?: string,
): Promise<void> {
  const found = await manifestDigest(registry.url, repository, tag);
  if (!found) throw new Error(`${repository}:${tag} is not in the destination after the run`);
  if (digest && found !== digest) throw new Error(`${repository}:${tag} is ${found}, expected ${digest}`);
}

async function expectFile(path: string, minBytes: number): Promise<void> {
  const info = await stat(path).catch(() => undefined);
  if (!info || info.size < minBytes)
    throw new Error(`${path}: ${info ? `${info.size} bytes, expected at least ${minBytes}` : 'missing'}`);
}

/** An OCI layout directory (crane's pull --format oci) holding a blob of at least `minBytes`. */
async function expectLayout(dir: string, minBytes: number): Promise<void> {
  await expectFile(join(dir, 'index.json'), 2);
  const blobs = join(dir, 'blobs', 'sha256');
  const sizes = await Promise.all(
    (await readdir(blobs).catch(() => [] as string[])).map(
      async (name) => (await stat(join(blobs, name))).size,
    ),
  );
  if (!sizes.some((size) => size >= minBytes))
    throw new Error(`${dir}: no blob of at least ${minBytes} bytes in ${blobs}`);
}

const targets = {
  crane: (max: number): Target => ({ origin: 'issue 10', kind: 'ratio', versus: 'crane', max }),
  skopeo: (max: number): Target => ({ origin: 'earlier', kind: 'ratio', versus: 'skopeo', max }),
  /** CPU beyond Node's start-up at most 2 × crane's CPU (issue 10). */
  cpu: { origin: 'issue 10', kind: 'cpu-over-node', versus: 'crane', max: 2 } as Target,
  /** Every transfer (issue 10). */
  rss: { origin: 'issue 10', kind: 'rss', maxMiB: 80 } as Target,
};

/**
 * The fewest requests and round trips for a registry → registry copy of one image of `blobs`
 * blobs (config and layers) into an empty repository, for a client that checks before it sends.
 */
function imageProtocol(blobs: number, what: string): Protocol {
  return {
    requests: 4 + 4 * blobs,
    roundTrips: 6,
    why: `one image of ${blobs} blobs (${what}): 4 + 4 × ${blobs} = ${4 + 4 * blobs} requests, 6 round trips (the rules above).`,
  };
}

/**
 * How the fewest requests and round trips are counted, for every workload (the report prints it
 * once, above each workload's own count).
 */
export const PROTOCOL_RULES =
  'A client that checks before it sends, into an empty destination, anonymous registries over plain HTTP. ' +
  'Requests: 2 pings (GET /v2/ on each registry, to learn the auth scheme; they can go out with the first request), ' +
  'the manifest, then per blob a HEAD at the destination, GET at the source ‖ POST at the destination (an upload session), ' +
  'and a PUT with the body (monolithic: Distribution 2.8 ignores `?digest=` on a POST, so an upload cannot be one request), ' +
  'then the manifests, children by digest before their parent, the root by its tag: 4 + 4 × blobs for one image. ' +
  'Round trips on the critical path, everything that can go out together going together: a TCP connection (1), ' +
  'the manifest (1), HEAD (1), GET ‖ POST (1), PUT (1), the manifest PUT (1) = 6 for one image; an index adds its ' +
  'children (GET, then PUT) and a tag listing adds one. A client without the HEAD on the path (skipped, or sent with the ' +
  'POST) needs one fewer; one that moves j blobs at a time needs 2 more per further wave of j.';

interface CopyOptions {
  skopeoAll?: boolean;
  pairs?: number;
  warmup?: number;
  /** Through the latency proxies; `loopback` names the workload without them. */
  rttMs?: number;
  loopback?: string;
  /** A `node -e 0` round too (for the CPU-beyond-Node target). */
  nodeStart?: boolean;
  protocol?: Protocol;
}

type SeededName = 'big' | 'many' | 'many1m' | 'multi';
const REPOSITORY: Record<SeededName, string> = {
  big: 'bench/big',
  many: 'bench/many',
  many1m: 'bench/many1m',
  multi: 'bench/multi',
};

/** The three clients' registry → registry copy of `repository:v1` (crane copies a whole index by default). */
function copyContenders(repository: string, skopeoAll = false): Contender[] {
  const src = (ctx: BenchContext) => `${ctx.srcHost}/${repository}:v1`;
  const dst = (ctx: BenchContext) => `${ctx.dstHost}/${repository}:v1`;
  return [
    { name: 'ferry', command: (ctx) => ferry(ctx, 'copy', src(ctx), dst(ctx)) },
    { name: 'crane', command: (ctx) => crane(ctx, 'copy', src(ctx), dst(ctx)) },
    {
      name: 'skopeo',
      command: (ctx) =>
        skopeo(
          ctx,
          'copy',
          ...(skopeoAll ? ['--all'] : []),
          '--src-tls-verify=false',
          '--dest-tls-verify=false',
          `docker://${src(ctx)}`,
          `docker://${dst(ctx)}`,
        ),
    },
  ];
}

/** registry → registry copy of one seeded image; every run into an empty destination. */
function copyWorkload(
  id: string,
  title: string,
  image: SeededName,
  targetList: Target[],
  options: CopyOptions = {},
): Workload {
  let digest = '';
  const repository = REPOSITORY[image];
  return {
    id,
    title,
    pairs: options.pairs ?? 5,
    quickPairs: 1,
    warmup: options.warmup ?? 0,
    countRequests: true,
    targets: targetList,
    ...(options.rttMs === undefined ? {} : { rttMs: options.rttMs }),
    ...(options.loopback === undefined ? {} : { loopback: options.loopback }),
    ...(options.protocol === undefined ? {} : { protocol: options.protocol }),
    contenders: [
      ...copyContenders(repository, options.skopeoAll),
      ...(options.nodeStart ? [NODE_START] : []),
    ],
    async setup(ctx) {
      digest = (await ctx.image(image)).digest;
    },
    async before(ctx) {
      await ctx.freshDst();
    },
    async check(ctx) {
      await expectTag(ctx.dst, repository, 'v1', digest);
    },
  };
}

/**
 * `copy -a` of a repository of ten small tags (context.ts REPOSITORIES.tags). skopeo has no
 * all-tags copy; `skopeo sync` of the repository is its way (one image after another), and it
 * writes `DEST/<last part of the source path>`, so it is given DST/bench for DST/bench/tags.
 */
function copyAllWorkload(id: string, options: { rttMs?: number; loopback?: string } = {}): Workload {
  let digests = new Map<string, string>();
  const src = (ctx: BenchContext) => `${ctx.srcHost}/bench/tags`;
  const dst = (ctx: BenchContext) => `${ctx.dstHost}/bench/tags`;
  const through = options.rttMs === undefined ? '' : `, through a ${options.rttMs} ms round trip`;
  return {
    id,
    title: `Copy all 10 tags of a repository (1 MiB base layer shared, 1 MiB own layer each; skopeo \`sync\`)${through}`,
    pairs: 5,
    quickPairs: 1,
    warmup: 1,
    countRequests: true,
    targets:
      options.rttMs === undefined
        ? [targets.crane(1.0), targets.cpu, targets.rss]
        : [targets.crane(0.8), targets.rss],
    ...(options.rttMs === undefined ? {} : { rttMs: options.rttMs }),
    ...(options.loopback === undefined ? {} : { loopback: options.loopback }),
    protocol: {
      requests: 107,
      roundTrips: 7,
      why:
        '10 images of 3 blobs each, 21 blobs in all (10 configs, 10 own layers, 1 shared base): 2 pings, GET tags/list, ' +
        '10 GET manifest, per blob (21, each once: the base is shared) HEAD, GET ‖ POST, PUT, then 10 PUT manifest by tag: ' +
        '2 + 1 + 10 + 4 × 21 + 10 = 107 requests. Round trips, every image and blob in parallel: connect (1), tags/list (1), ' +
        'GET manifests (1), HEAD (1), GET ‖ POST (1), PUT (1), PUT manifests (1) = 7 (an image whose base layer another image ' +
        'is uploading waits for that upload, which ends in the same round trip).',
    },
    contenders: [
      { name: 'ferry', command: (ctx) => ferry(ctx, 'copy', '-a', src(ctx), dst(ctx)) },
      { name: 'crane', command: (ctx) => crane(ctx, 'copy', '-a', src(ctx), dst(ctx)) },
      {
        name: 'skopeo',
        command: (ctx) =>
          skopeo(
            ctx,
            'sync',
            '--src',
            'docker',
            '--dest',
            'docker',
            '--src-tls-verify=false',
            '--dest-tls-verify=false',
            src(ctx),
            `${ctx.dstHost}/bench`,
          ),
      },
      ...(options.rttMs === undefined ? [NODE_START] : []),
    ],
    async setup(ctx) {
      digests = new Map([...(await ctx.repository('tags'))].map(([tag, image]) => [tag, image.digest]));
    },
    async before(ctx) {
      await ctx.freshDst();
    },
    async check(ctx) {
      for (const [tag, digest] of digests) await expectTag(ctx.dst, 'bench/tags', tag, digest);
    },
  };
}

/** `digest` / `exists` start-up latency against crane digest, skopeo inspect --raw and a bare Node start. */
function latencyWorkload(command: 'digest' | 'exists', withoutExtraCa: boolean, rttMs?: number): Workload {
  const id = `${command}${withoutExtraCa ? '-no-extra-ca' : ''}${rttMs === undefined ? '' : `-rtt${rttMs}`}`;
  // NODE_EXTRA_CA_CERTS costs every Node start ~36 ms on Node 20 (shared/design/node.md); most
  // users do not set it, so the latency rows are measured both ways.
  const env = (ctx: BenchContext): NodeJS.ProcessEnv => {
    if (!withoutExtraCa) return ctx.env;
    const { NODE_EXTRA_CA_CERTS: _dropped, ...rest } = ctx.env;
    return rest;
  };
  const image = (ctx: BenchContext) => `${ctx.srcHost}/bench/small:v1`;
  const through = rttMs === undefined ? '' : `, through a ${rttMs} ms round trip`;
  return {
    id,
    title: `\`ferry ${command}\` latency${withoutExtraCa ? ', NODE_EXTRA_CA_CERTS unset' : ''}${through}`,
    pairs: rttMs === undefined ? 15 : 5,
    quickPairs: rttMs === undefined ? 3 : 1,
    warmup: 2,
    countRequests: true,
    targets:
      rttMs === undefined
        ? [
            { origin: 'earlier', kind: 'ratio', versus: 'node -e 0', max: 1.6 },
            { origin: 'issue 10', kind: 'cpu-over-node-ms', maxMs: 30 },
          ]
        : [],
    ...(rttMs === undefined ? {} : { rttMs, loopback: command }),
    protocol: {
      requests: 2,
      roundTrips: 2,
      why:
        'a ping (GET /v2/, for the auth scheme; not needed on an anonymous registry) and HEAD manifest, which carries ' +
        'Docker-Content-Digest: 2 requests; round trips: connect (1), HEAD (1) = 2, plus 1 for a ping sent first.',
    },
    contenders: [
      { name: 'ferry', command: (ctx) => ({ ...ferry(ctx, command, image(ctx)), env: env(ctx) }) },
      { name: 'crane', command: (ctx) => ({ ...crane(ctx, 'digest', image(ctx)), env: env(ctx) }) },
      {
        name: 'skopeo',
        command: (ctx) => ({
          ...skopeo(ctx, 'inspect', '--raw', '--tls-verify=false', `docker://${image(ctx)}`),
          env: env(ctx),
        }),
      },
      ...(rttMs === undefined
        ? [
            {
              ...NODE_START,
              command: (ctx: BenchContext) => ({ cmd: NODE, args: ['-e', '0'], env: env(ctx) }),
            },
          ]
        : []),
    ],
    async setup(ctx) {
      await ctx.image('small');
    },
  };
}

/** Copy of the 40-layer image into a destination that already has all of it. */
function recopyWorkload(): Workload {
  let digest = '';
  return {
    id: 'recopy',
    title: 'Re-copy, everything already at the destination (40 × 5 MiB image)',
    pairs: 5,
    quickPairs: 1,
    warmup: 1,
    countRequests: true,
    targets: [targets.skopeo(0.3)],
    protocol: {
      requests: 4,
      roundTrips: 2,
      why:
        '2 pings, GET manifest at the source ‖ HEAD of the tag at the destination: the same digest means the ' +
        'destination accepted that manifest, so every blob under it is there: 4 requests; round trips: connect (1), ' +
        'GET ‖ HEAD (1) = 2.',
    },
    // The same commands as copy-many; only the destination's state differs.
    contenders: copyContenders('bench/many'),
    async setup(ctx) {
      digest = (await ctx.image('many')).digest;
    },
    async before(ctx) {
      // Filled by skopeo, unmeasured: every contender then finds the same complete image.
      await ctx.freshDst();
      await runQuiet(
        'skopeo',
        [
          'copy',
          '--src-tls-verify=false',
          '--dest-tls-verify=false',
          `docker://${ctx.src.host}/bench/many:v1`,
          `docker://${ctx.dst.host}/bench/many:v1`,
        ],
        ctx.env,
      );
    },
    async check(ctx) {
      await expectTag(ctx.dst, 'bench/many', 'v1', digest);
    },
  };
}

/**
 * Pull of the 1 GiB image to a tarball. crane has no OCI tarball: its `pull --format oci` writes
 * an OCI layout directory (the same bytes, as files instead of tar members).
 */
function pullWorkload(format: 'docker' | 'oci'): Workload {
  let blobSize = 0;
  const out = (ctx: BenchContext) => ctx.path('out', 'pulled.tar');
  const outDir = (ctx: BenchContext) => ctx.path('out', 'pulled-layout');
  return {
    id: `pull-${format}`,
    title:
      format === 'docker'
        ? 'Pull 1 GiB image to a docker-archive (crane: its `tarball` format)'
        : 'Pull 1 GiB image to an OCI tarball (crane: an OCI layout directory, it writes no OCI tarball)',
    pairs: 5,
    quickPairs: 1,
    warmup: 0,
    countRequests: true,
    targets: [targets.skopeo(0.8), targets.rss],
    protocol: {
      requests: 4,
      roundTrips: 3,
      why: 'a ping, GET manifest, GET config ‖ GET layer: 4 requests; round trips: connect (1), manifest (1), blobs (1) = 3, then the transfer.',
    },
    contenders: [
      {
        name: 'ferry',
        command: (ctx) =>
          ferry(
            ctx,
            'pull',
            ...(format === 'oci' ? ['--format', 'oci'] : []),
            `${ctx.srcHost}/bench/big:v1`,
            out(ctx),
          ),
      },
      {
        name: 'crane',
        command: (ctx) =>
          format === 'docker'
            ? crane(ctx, 'pull', `${ctx.srcHost}/bench/big:v1`, out(ctx))
            : crane(ctx, 'pull', '--format', 'oci', `${ctx.srcHost}/bench/big:v1`, outDir(ctx)),
      },
      {
        name: 'skopeo',
        command: (ctx) =>
          skopeo(
            ctx,
            'copy',
            '--src-tls-verify=false',
            `docker://${ctx.srcHost}/bench/big:v1`,
            format === 'docker' ? `docker-archive:${out(ctx)}:bench/big:v1` : `oci-archive:${out(ctx)}:v1`,
          ),
      },
    ],
    async setup(ctx) {
      blobSize = (await ctx.image('big')).layers[0]?.size ?? 0;
    },
    async before(ctx) {
      await ctx.freshDst(); // unused, but keeps every run's registry state the same
      await rm(out(ctx), { force: true });
      await rm(outDir(ctx), { recursive: true, force: true });
    },
    async check(ctx, contender) {
      // skopeo's docker-archive holds the layer uncompressed: a little smaller than the gzip blob.
      if (contender === 'crane' && format === 'oci') await expectLayout(outDir(ctx), blobSize);
      else await expectFile(out(ctx), blobSize * 0.99);
      await rm(out(ctx), { force: true });
      await rm(outDir(ctx), { recursive: true, force: true });
    },
  };
}

/**
 * Push of the 1 GiB image from a tarball made once by skopeo (the same input for every client).
 * crane reads a docker tarball but no OCI tarball: for push-oci it pushes the same OCI archive
 * unpacked into a layout directory.
 */
function pushWorkload(format: 'docker' | 'oci'): Workload {
  const input = (ctx: BenchContext) => ctx.path('in', `big-${format}.tar`);
  const layout = (ctx: BenchContext) => ctx.path('in', 'big-oci-layout');
  return {
    id: `push-${format}`,
    title:
      format === 'docker'
        ? 'Push 1 GiB image from a docker-archive (uncompressed layer, as docker save writes)'
        : 'Push 1 GiB image from an OCI tarball (crane: the same, unpacked to an OCI layout directory)',
    pairs: 5,
    quickPairs: 1,
    warmup: 0,
    countRequests: true,
    targets: [targets.skopeo(0.8), targets.rss],
    protocol:
      format === 'oci'
        ? {
            requests: 8,
            roundTrips: 5,
            why: 'a ping, per blob (config, layer) HEAD, POST, PUT with the body, then PUT manifest: 8 requests; round trips: connect (1), HEAD (1), POST (1), PUT (1), PUT manifest (1) = 5, plus the transfer.',
          }
        : {
            requests: 8,
            roundTrips: 6,
            why: "the layer is gzip'd on the way, so its digest is known only at the end: a ping, HEAD config, POST ×2, PUT config, PATCH the layer stream, PUT ?digest= to close it, PUT manifest: 8 requests; round trips: connect (1), HEAD ‖ POST (1), PATCH (1), PUT (1), PUT manifest (1) = 5 (6 with the HEAD first), plus the transfer.",
          },
    contenders: [
      {
        name: 'ferry',
        command: (ctx) =>
          ferry(
            ctx,
            'push',
            format === 'docker' ? input(ctx) : `oci-archive:${input(ctx)}:v1`,
            `${ctx.dstHost}/bench/big:v1`,
          ),
      },
      {
        name: 'crane',
        command: (ctx) =>
          crane(ctx, 'push', format === 'docker' ? input(ctx) : layout(ctx), `${ctx.dstHost}/bench/big:v1`),
      },
      {
        name: 'skopeo',
        command: (ctx) =>
          skopeo(
            ctx,
            'copy',
            '--dest-tls-verify=false',
            format === 'docker' ? `docker-archive:${input(ctx)}` : `oci-archive:${input(ctx)}:v1`,
            `docker://${ctx.dstHost}/bench/big:v1`,
          ),
      },
    ],
    async setup(ctx) {
      await ctx.image('big');
      await rm(input(ctx), { force: true });
      await runQuiet(
        'skopeo',
        [
          'copy',
          '--src-tls-verify=false',
          `docker://${ctx.src.host}/bench/big:v1`,
          format === 'docker' ? `docker-archive:${input(ctx)}:bench/big:v1` : `oci-archive:${input(ctx)}:v1`,
        ],
        ctx.env,
      );
      if (format === 'oci') {
        await rm(layout(ctx), { recursive: true, force: true });
        await mkdir(layout(ctx), { recursive: true });
        await runQuiet('tar', ['-xf', input(ctx), '-C', layout(ctx)], ctx.env);
      }
    },
    async before(ctx) {
      await ctx.freshDst();
    },
    async check(ctx) {
      await expectTag(ctx.dst, 'bench/big', 'v1');
    },
    async teardown(ctx) {
      await rm(input(ctx), { force: true });
      await rm(layout(ctx), { recursive: true, force: true });
    },
  };
}

/** Copy of a 4 GiB layer, for ferry's memory: its own source registry, removed afterwards (4 GiB of RAM). */
function hugeWorkload(): Workload {
  let digest = '';
  let source: Registry | undefined;
  // A copy workload in all but its source: before() (a fresh destination) is reused as it is.
  const base = copyWorkload('x', 'x', 'big', []);
  const src = () => `${source?.host}/bench/huge:v1`;
  const dst = (ctx: BenchContext) => `${ctx.dstHost}/bench/huge:v1`;
  return {
    ...base,
    id: 'copy-4g',
    title: 'Copy one 4 GiB layer (peak memory)',
    pairs: 5,
    quickPairs: 1,
    targets: [targets.rss, { origin: 'issue 10', kind: 'rss-flat', versus: 'copy-1g', slack: 0.1 }],
    protocol: imageProtocol(2, 'one 4 GiB layer and a config'),
    contenders: [
      { name: 'ferry', command: (ctx) => ferry(ctx, 'copy', src(), dst(ctx)) },
      { name: 'crane', command: (ctx) => crane(ctx, 'copy', src(), dst(ctx)) },
      {
        name: 'skopeo',
        command: (ctx) =>
          skopeo(
            ctx,
            'copy',
            '--src-tls-verify=false',
            '--dest-tls-verify=false',
            `docker://${src()}`,
            `docker://${dst(ctx)}`,
          ),
      },
    ],
    async setup(ctx) {
      source = await ctx.extraRegistry('src-huge');
      digest = (await ctx.image('huge', source)).digest;
    },
    async check(ctx) {
      await expectTag(ctx.dst, 'bench/huge', 'v1', digest);
      await ctx.stopDst(); // 4 GiB of tmpfs back before the next run
    },
    async teardown(ctx) {
      if (source) await ctx.stopExtra(source);
      source = undefined;
    },
  };
}

const INDEX_PROTOCOL: Protocol = {
  requests: 58,
  roundTrips: 8,
  why:
    '3 platforms of 4 blobs (config, 3 layers): 2 pings, GET index, 3 GET child manifests, per blob (12) HEAD, ' +
    'GET ‖ POST, PUT, then 3 PUT child manifests by digest and PUT index by tag: 2 + 1 + 3 + 4 × 12 + 3 + 1 = 58 requests. ' +
    'Round trips: connect (1), GET index (1), GET children (1), HEAD (1), GET ‖ POST (1), PUT (1), PUT children (1), ' +
    'PUT index (1) = 8 (7 without the HEAD on the path).',
};

/** In the order a full run takes them: cheap and latency-sensitive first, the 4 GiB copy last. */
export const WORKLOADS: Workload[] = [
  latencyWorkload('digest', false),
  latencyWorkload('exists', false),
  latencyWorkload('digest', true),
  latencyWorkload('exists', true),
  latencyWorkload('digest', false, RTT),
  recopyWorkload(),
  copyWorkload(
    'copy-index',
    'Copy a three-platform index (3 × 3 × 5 MiB; skopeo `--all`, crane copies every platform by default)',
    'multi',
    [targets.crane(1.0), targets.cpu, targets.skopeo(1.0), targets.rss],
    { skopeoAll: true, warmup: 1, nodeStart: true, protocol: INDEX_PROTOCOL },
  ),
  copyWorkload(
    'copy-index-rtt40',
    `The same index copy, through a ${RTT} ms round trip in front of both registries`,
    'multi',
    [targets.crane(0.8), targets.rss],
    { skopeoAll: true, warmup: 1, rttMs: RTT, loopback: 'copy-index', protocol: INDEX_PROTOCOL },
  ),
  copyWorkload(
    'copy-many-1m',
    'Copy 40 layers of 1 MiB',
    'many1m',
    [targets.crane(1.0), targets.cpu, targets.rss],
    { warmup: 1, nodeStart: true, protocol: imageProtocol(41, '40 layers and a config') },
  ),
  copyWorkload(
    'copy-many-1m-rtt40',
    `The same 40 × 1 MiB copy, through a ${RTT} ms round trip in front of both registries`,
    'many1m',
    [targets.crane(0.8), targets.rss],
    {
      warmup: 1,
      rttMs: RTT,
      loopback: 'copy-many-1m',
      protocol: imageProtocol(41, '40 layers and a config'),
    },
  ),
  copyAllWorkload('copy-all-10'),
  copyAllWorkload('copy-all-10-rtt40', { rttMs: RTT, loopback: 'copy-all-10' }),
  copyWorkload('copy-many', 'Copy 40 layers of 5 MiB', 'many', [targets.skopeo(0.75), targets.rss], {
    protocol: imageProtocol(41, '40 layers and a config'),
  }),
  copyWorkload(
    'copy-1g',
    'Copy one 1 GiB incompressible layer',
    'big',
    [targets.skopeo(0.85), { origin: 'issue 10', kind: 'ingest', slack: 0.03 }, targets.rss],
    { protocol: imageProtocol(2, 'one 1 GiB layer and a config') },
  ),
  pullWorkload('docker'),
  pullWorkload('oci'),
  pushWorkload('docker'),
  pushWorkload('oci'),
  ...SYNC_WORKLOADS,
  hugeWorkload(),
];
