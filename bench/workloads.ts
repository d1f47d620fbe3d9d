/**
 * The workloads of the issue, each a set of contenders run in alternation (ferry first) with
 * what has to happen around every run: a fresh destination registry, files removed, a check
 * that the run really did the work (a fast failure must not look like a fast copy).
 *
 * Commands are the ones a user types: the built `bin/ferry.js`, and skopeo with
 * `--src-tls-verify=false --dest-tls-verify=false` (plain HTTP on loopback). ferry needs no flag:
 * it treats loopback registries as plain-HTTP-capable by itself.
 */
import { rm, stat } from 'node:fs/promises';
import type { Registry } from '../test/harness/registry.js';
import type { BenchContext } from './context.js';
import type { Command } from './measure.js';
import { runQuiet } from './proc.js';
import { manifestDigest } from './seed.js';
import { SYNC_WORKLOADS } from './sync-workload.js';

export interface Contender {
  /** 'ferry', 'skopeo', 'node -e 0'. */
  name: string;
  command(ctx: BenchContext): Command;
}

export type Target =
  /** median of the pair-by-pair ratios ferry / `versus` at most `max`. */
  | { kind: 'ratio'; versus: string; max: number }
  /** ferry's peak RSS at most `maxMiB` in every run. */
  | { kind: 'rss'; maxMiB: number }
  /** ferry's median wall at most (1 + slack) × the registry's ingest limit (curl PUT), from limits.ts. */
  | { kind: 'ingest'; slack: number };

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

function skopeo(ctx: BenchContext, ...args: string[]): Command {
  return { cmd: 'skopeo', args, env: ctx.env };
}

const ref = (registry: Registry, image: { repository: string; tag: string }): string =>
  `${registry.host}/${image.repository}:${image.tag}`;

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

/** registry → registry copy of one seeded image; every run into an empty destination. */
function copyWorkload(
  id: string,
  title: string,
  image: 'big' | 'many' | 'multi',
  targets: Target[],
  options: { skopeoAll?: boolean; pairs?: number; warmup?: number } = {},
): Workload {
  let digest = '';
  const spec = { big: 'bench/big', many: 'bench/many', multi: 'bench/multi' }[image];
  return {
    id,
    title,
    pairs: options.pairs ?? 5,
    quickPairs: 1,
    warmup: options.warmup ?? 0,
    countRequests: true,
    targets,
    contenders: [
      {
        name: 'ferry',
        command: (ctx) => ferry(ctx, 'copy', `${ctx.src.host}/${spec}:v1`, `${ctx.dst.host}/${spec}:v1`),
      },
      {
        name: 'skopeo',
        command: (ctx) =>
          skopeo(
            ctx,
            'copy',
            ...(options.skopeoAll ? ['--all'] : []),
            '--src-tls-verify=false',
            '--dest-tls-verify=false',
            `docker://${ctx.src.host}/${spec}:v1`,
            `docker://${ctx.dst.host}/${spec}:v1`,
          ),
      },
    ],
    async setup(ctx) {
      digest = (await ctx.image(image)).digest;
    },
    async before(ctx) {
      await ctx.freshDst();
    },
    async check(ctx) {
      await expectTag(ctx.dst, spec, 'v1', digest);
    },
  };
}

/** `digest` / `exists` start-up latency against skopeo inspect --raw and a bare Node start. */
function latencyWorkload(command: 'digest' | 'exists', withoutExtraCa: boolean): Workload {
  const id = `${command}${withoutExtraCa ? '-no-extra-ca' : ''}`;
  // NODE_EXTRA_CA_CERTS costs every Node start ~36 ms on Node 20 (shared/design/node.md); most
  // users do not set it, so the latency rows are measured both ways.
  const env = (ctx: BenchContext): NodeJS.ProcessEnv => {
    if (!withoutExtraCa) return ctx.env;
    const { NODE_EXTRA_CA_CERTS: _dropped, ...rest } = ctx.env;
    return rest;
  };
  return {
    id,
    title: `\`ferry ${command}\` latency${withoutExtraCa ? ', NODE_EXTRA_CA_CERTS unset' : ''}`,
    pairs: 15,
    quickPairs: 3,
    warmup: 2,
    countRequests: false,
    targets: [{ kind: 'ratio', versus: 'node -e 0', max: 1.6 }],
    contenders: [
      {
        name: 'ferry',
        command: (ctx) => ({
          ...ferry(ctx, command, ref(ctx.src, { repository: 'bench/small', tag: 'v1' })),
          env: env(ctx),
        }),
      },
      {
        name: 'skopeo',
        command: (ctx) => ({
          ...skopeo(
            ctx,
            'inspect',
            '--raw',
            '--tls-verify=false',
            `docker://${ref(ctx.src, { repository: 'bench/small', tag: 'v1' })}`,
          ),
          env: env(ctx),
        }),
      },
      { name: 'node -e 0', command: (ctx) => ({ cmd: NODE, args: ['-e', '0'], env: env(ctx) }) },
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
    targets: [{ kind: 'ratio', versus: 'skopeo', max: 0.3 }],
    // The same two commands as copy-many; only the destination's state differs.
    contenders: copyWorkload('x', 'x', 'many', []).contenders,
    async setup(ctx) {
      digest = (await ctx.image('many')).digest;
    },
    async before(ctx) {
      // Filled by skopeo, unmeasured: both contenders then find the same complete image.
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

/** Pull of the 1 GiB image to a tarball. */
function pullWorkload(format: 'docker' | 'oci'): Workload {
  let blobSize = 0;
  const out = (ctx: BenchContext) => ctx.path('out', 'pulled.tar');
  return {
    id: `pull-${format}`,
    title: `Pull 1 GiB image to ${format === 'docker' ? 'a docker-archive' : 'an OCI tarball'}`,
    pairs: 5,
    quickPairs: 1,
    warmup: 0,
    countRequests: true,
    targets: [
      { kind: 'ratio', versus: 'skopeo', max: 0.8 },
      { kind: 'rss', maxMiB: 100 },
    ],
    contenders: [
      {
        name: 'ferry',
        command: (ctx) =>
          ferry(
            ctx,
            'pull',
            ...(format === 'oci' ? ['--format', 'oci'] : []),
            `${ctx.src.host}/bench/big:v1`,
            out(ctx),
          ),
      },
      {
        name: 'skopeo',
        command: (ctx) =>
          skopeo(
            ctx,
            'copy',
            '--src-tls-verify=false',
            `docker://${ctx.src.host}/bench/big:v1`,
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
    },
    async check(ctx) {
      // skopeo's docker-archive holds the layer uncompressed: a little smaller than the gzip blob.
      await expectFile(out(ctx), blobSize * 0.99);
      await rm(out(ctx), { force: true });
    },
  };
}

/** Push of the 1 GiB image from a tarball made once by skopeo (the same input for both). */
function pushWorkload(format: 'docker' | 'oci'): Workload {
  const input = (ctx: BenchContext) => ctx.path('in', `big-${format}.tar`);
  return {
    id: `push-${format}`,
    title: `Push 1 GiB image from ${format === 'docker' ? 'a docker-archive (uncompressed layer, as docker save writes)' : 'an OCI tarball'}`,
    pairs: 5,
    quickPairs: 1,
    warmup: 0,
    countRequests: true,
    targets: [
      { kind: 'ratio', versus: 'skopeo', max: 0.8 },
      { kind: 'rss', maxMiB: 100 },
    ],
    contenders: [
      {
        name: 'ferry',
        command: (ctx) =>
          ferry(
            ctx,
            'push',
            format === 'docker' ? input(ctx) : `oci-archive:${input(ctx)}:v1`,
            `${ctx.dst.host}/bench/big:v1`,
          ),
      },
      {
        name: 'skopeo',
        command: (ctx) =>
          skopeo(
            ctx,
            'copy',
            '--dest-tls-verify=false',
            format === 'docker' ? `docker-archive:${input(ctx)}` : `oci-archive:${input(ctx)}:v1`,
            `docker://${ctx.dst.host}/bench/big:v1`,
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
    },
    async before(ctx) {
      await ctx.freshDst();
    },
    async check(ctx) {
      await expectTag(ctx.dst, 'bench/big', 'v1');
    },
    async teardown(ctx) {
      await rm(input(ctx), { force: true });
    },
  };
}

/** Copy of a 4 GiB layer, for ferry's memory: its own source registry, removed afterwards (4 GiB of RAM). */
function hugeWorkload(): Workload {
  let digest = '';
  let source: Registry | undefined;
  // A copy workload in all but its source: before() (a fresh destination) is reused as it is.
  const base = copyWorkload('x', 'x', 'big', []);
  return {
    ...base,
    id: 'copy-4g',
    title: 'Copy one 4 GiB layer (peak memory)',
    pairs: 5,
    quickPairs: 1,
    targets: [{ kind: 'rss', maxMiB: 100 }],
    contenders: [
      {
        name: 'ferry',
        command: (ctx) =>
          ferry(ctx, 'copy', `${source?.host}/bench/huge:v1`, `${ctx.dst.host}/bench/huge:v1`),
      },
      {
        name: 'skopeo',
        command: (ctx) =>
          skopeo(
            ctx,
            'copy',
            '--src-tls-verify=false',
            '--dest-tls-verify=false',
            `docker://${source?.host}/bench/huge:v1`,
            `docker://${ctx.dst.host}/bench/huge:v1`,
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

/** In the order a full run takes them: cheap and latency-sensitive first, the 4 GiB copy last. */
export const WORKLOADS: Workload[] = [
  latencyWorkload('digest', false),
  latencyWorkload('exists', false),
  latencyWorkload('digest', true),
  latencyWorkload('exists', true),
  recopyWorkload(),
  copyWorkload(
    'copy-index',
    'Copy a three-platform index (3 × 3 × 5 MiB; skopeo `--all`)',
    'multi',
    [{ kind: 'ratio', versus: 'skopeo', max: 1.0 }],
    { skopeoAll: true, warmup: 1 },
  ),
  copyWorkload('copy-many', 'Copy 40 layers of 5 MiB', 'many', [
    { kind: 'ratio', versus: 'skopeo', max: 0.75 },
  ]),
  copyWorkload('copy-1g', 'Copy one 1 GiB incompressible layer', 'big', [
    { kind: 'ratio', versus: 'skopeo', max: 0.85 },
    { kind: 'ingest', slack: 0.1 },
    { kind: 'rss', maxMiB: 100 },
  ]),
  pullWorkload('docker'),
  pullWorkload('oci'),
  pushWorkload('docker'),
  pushWorkload('oci'),
  ...SYNC_WORKLOADS,
  hugeWorkload(),
];
