/**
 * The mirror workloads (issue 11): 40 repositories × 5 tags of small images, mirrored by
 *
 *   ferry    `ferry sync FILE`, one `type: repository` entry per repository
 *   skopeo   `skopeo sync --src yaml --dest docker FILE DST/mirror`, the YAML source with
 *            `images-by-tag-regex: {REPO: '.*'}` per repository
 *   crane    a shell loop of `crane copy -a` over the repositories
 *
 * `sync-cold` mirrors into an empty destination; `sync-rerun` into one that already holds every
 * tag (filled unmeasured before each run), where only the check is left to do. skopeo sync names
 * a destination by the source repository's last path element, so every contender writes
 * `DST/mirror/sync-NN:TAG`, and each run's result is checked tag by tag against the seeded digests.
 *
 * The images: each repository has its own 128 KiB base layer shared by its five tags, and each
 * tag one small layer of its own (16 KiB + k), so every tag is a distinct image: 240 layers and
 * 200 configs and manifests in all.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import type { BenchContext } from './context.js';
import type { Command } from './measure.js';
import { runQuiet } from './proc.js';
import { manifestDigest, seedImage } from './seed.js';
import type { Target, Workload } from './workloads.js';

const KiB = 1024;
const REPOSITORIES = Array.from({ length: 40 }, (_, i) => `sync-${String(i).padStart(2, '0')}`);
const TAGS = ['1.0.0', '1.1.0', '1.2.0', '2.0.0', '2.1.0'];
/** The source repository of a mirror repository name. */
const sourceOf = (name: string) => `bsync/${name}`;

/** Digest by `name:tag`, seeded once per source registry. */
const seeded = new Map<string, Promise<Map<string, string>>>();

function seedAll(ctx: BenchContext): Promise<Map<string, string>> {
  let pending = seeded.get(ctx.src.url);
  if (!pending) {
    pending = (async () => {
      const digests = new Map<string, string>();
      // Repositories at once, each one's tags in turn (they share the base layer).
      await Promise.all(
        REPOSITORIES.map(async (name) => {
          for (const [k, tag] of TAGS.entries()) {
            const image = await seedImage(ctx.src.url, {
              repository: sourceOf(name),
              tag,
              layers: [128 * KiB, 16 * KiB + k],
              platforms: ['linux/amd64'],
            });
            digests.set(`${name}:${tag}`, image.digest);
          }
        }),
      );
      return digests;
    })();
    seeded.set(ctx.src.url, pending);
  }
  return pending;
}

const file = (ctx: BenchContext, name: string) => ctx.path('sync', name);

/** The two sync files for this run's destination. */
async function writeFiles(ctx: BenchContext): Promise<void> {
  await mkdir(ctx.path('sync'), { recursive: true });
  const ferry = REPOSITORIES.map(
    (name) =>
      `  - type: repository\n    source: ${ctx.src.host}/${sourceOf(name)}\n    target: ${ctx.dst.host}/mirror/${name}\n`,
  );
  await writeFile(file(ctx, 'ferry.yaml'), `sync:\n${ferry.join('')}`);
  const skopeo = REPOSITORIES.map((name) => `    ${sourceOf(name)}: '.*'\n`);
  await writeFile(
    file(ctx, 'skopeo.yaml'),
    `${ctx.src.host}:\n  tls-verify: false\n  images-by-tag-regex:\n${skopeo.join('')}`,
  );
}

const ferryCommand = (ctx: BenchContext): Command => ({
  cmd: process.execPath,
  args: [ctx.ferryBin, 'sync', file(ctx, 'ferry.yaml')],
  env: ctx.env,
});

const contenders = [
  { name: 'ferry', command: ferryCommand },
  {
    name: 'skopeo',
    command: (ctx: BenchContext): Command => ({
      cmd: 'skopeo',
      args: [
        'sync',
        '--src',
        'yaml',
        '--dest',
        'docker',
        '--dest-tls-verify=false',
        file(ctx, 'skopeo.yaml'),
        `${ctx.dst.host}/mirror`,
      ],
      env: ctx.env,
    }),
  },
  {
    name: 'crane',
    command: (ctx: BenchContext): Command => ({
      cmd: 'sh',
      args: [
        '-c',
        `for r in ${REPOSITORIES.join(' ')}; do crane copy -a --insecure ${ctx.src.host}/bsync/$r ${ctx.dst.host}/mirror/$r || exit 1; done`,
      ],
      env: ctx.env,
    }),
  },
];

/** Every tag at the destination names the seeded digest. */
async function checkMirror(ctx: BenchContext): Promise<void> {
  const digests = await seedAll(ctx);
  const wrong: string[] = [];
  const names = [...digests.keys()];
  for (let i = 0; i < names.length; i += 20) {
    await Promise.all(
      names.slice(i, i + 20).map(async (key) => {
        const [name = '', tag = ''] = key.split(':');
        const found = await manifestDigest(ctx.dst.url, `mirror/${name}`, tag);
        if (found !== digests.get(key)) wrong.push(`${key}: ${found ?? 'missing'}`);
      }),
    );
  }
  if (wrong.length > 0)
    throw new Error(`mirror incomplete (${wrong.length} tags): ${wrong.slice(0, 3).join('; ')}`);
}

function syncWorkload(id: string, title: string, rerun: boolean, targets: Target[]): Workload {
  return {
    id,
    title,
    pairs: 3,
    quickPairs: 1,
    warmup: 0,
    countRequests: true,
    targets,
    contenders,
    async setup(ctx) {
      await seedAll(ctx);
    },
    async before(ctx) {
      await ctx.freshDst();
      await writeFiles(ctx);
      if (!rerun) return;
      // Filled unmeasured (by ferry, then checked): every contender finds the same full mirror.
      await runQuiet(process.execPath, [ctx.ferryBin, 'sync', '-q', file(ctx, 'ferry.yaml')], ctx.env);
      await checkMirror(ctx);
    },
    check: checkMirror,
  };
}

export const SYNC_WORKLOADS: Workload[] = [
  syncWorkload('sync-cold', 'Mirror 40 repositories × 5 tags of small images into an empty registry', false, [
    { origin: 'issue 11', kind: 'ratio', versus: 'skopeo', max: 0.35 },
    { origin: 'issue 11', kind: 'ratio', versus: 'crane', max: 0.7 },
  ]),
  syncWorkload('sync-rerun', 'Re-run the mirror of 40 × 5 tags, everything in step', true, [
    { origin: 'issue 11', kind: 'ratio', versus: 'skopeo', max: 0.25 },
    { origin: 'issue 11', kind: 'ratio', versus: 'crane', max: 0.5 },
  ]),
];
