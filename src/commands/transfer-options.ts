/** Options shared by copy, pull and push, and the one function they all end in. */
import type { Context } from '../context.js';
import type { CopyListener, CopySummary } from '../copy/events.js';
import type { LayerRequest } from '../copy/layer-policy.js';
import type { CopyItem, ItemResult } from '../copy/many.js';
import { UsageError } from '../errors.js';
import { describeLocation, type Location } from '../store/location.js';
import { errorMessage, itemFailure } from '../ui/format-error.js';
import { count, duration, type Progress } from '../ui/progress.js';
import { failedJson, type TransferJson, transferJson, transferShape } from '../ui/shapes/index.js';
import { formatOption, platformsOption, positiveInt, templateOption } from './options.js';
import { type OutputChoice, printResult } from './print.js';
import { type OptionsOf, oneOf, option } from './spec.js';

/** Parallel blob transfers: skopeo copies 6 layers at once; more rarely helps one registry. */
export const DEFAULT_JOBS = 6;

export const copyPlatformsOption = platformsOption(
  'copy only this platform of an index (repeatable: several make a new index of them)',
);

export const jobsOption = option({
  flags: '-j, --jobs <n>',
  description: `blobs transferred in parallel (default ${DEFAULT_JOBS})`,
  parse: positiveInt('--jobs', 64),
});

const UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1024,
  kb: 1000,
  kib: 1024,
  m: 1024 ** 2,
  mb: 1000 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1000 ** 3,
  gib: 1024 ** 3,
};

/** '5MiB', '16M', '1048576' → bytes. */
export function parseSize(value: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(value.trim());
  const unit = m ? UNITS[(m[2] ?? '').toLowerCase()] : undefined;
  const bytes = m && unit !== undefined ? Math.floor(Number(m[1]) * unit) : Number.NaN;
  if (!Number.isSafeInteger(bytes) || bytes < 1) {
    throw new UsageError(`--chunk-size must be a size such as 5MiB, 16M or 1048576, not '${value}'`);
  }
  return bytes;
}

/**
 * The bounds of --chunk-size. Distribution accepts a PATCH of any size, and a registry that needs
 * bigger ones says so (OCI-Chunk-Min-Length, which registry/upload.ts honours by raising the
 * chunk). The floor is against typos: below 64 KiB a 1 GiB layer takes over 16,000 requests (a
 * million at 1 KiB), and a bare `--chunk-size 16` is 16 bytes, surely meant as 16 MiB; regclient
 * sends 1 MiB chunks by default. The ceiling is regclient's 1 GiB: a chunk is held in memory
 * while it is sent, once per parallel transfer.
 */
export const MIN_CHUNK_SIZE = 64 * 1024;
export const MAX_CHUNK_SIZE = 1024 ** 3;

export const chunkSizeOption = option({
  flags: '--chunk-size <size>',
  description:
    'upload blobs in PATCHes of this size (64KiB to 1GiB, e.g. 16MiB) for registries or proxies that cap request bodies',
  parse: (value) => {
    const bytes = parseSize(value);
    if (bytes < MIN_CHUNK_SIZE) {
      throw new UsageError(`--chunk-size ${value} is below the floor of 64KiB`, {
        hint: /^\s*\d+\s*$/.test(value)
          ? `a bare number counts bytes: for megabytes write ${value.trim()}MiB`
          : 'a registry that needs small requests is rare; 1MiB or more keeps the request count sane',
      });
    }
    if (bytes > MAX_CHUNK_SIZE)
      throw new UsageError(
        `--chunk-size ${value} is above the ceiling of 1GiB (each chunk is held in memory)`,
      );
    return bytes;
  },
});

const COMPRESS = ['gzip', 'none'] as const;

export const compressOption = option({
  flags: '--compress <mode>',
  description:
    "gzip: compress plain-tar layers on the way (their digests change, and ferry says so); none: never, not even a docker save archive's layers for a registry (default: only those)",
  choices: COMPRESS,
  parse: oneOf('--compress', COMPRESS),
});

export const preserveDigestsOption = option({
  flags: '--preserve-digests',
  description:
    'fail rather than change any digest (a docker save archive is then pushed with plain-tar layers)',
});

export const referrersOption = option({
  flags: '-r, --referrers',
  description:
    "also copy the referrers (signatures, SBOMs, attestations: manifests whose subject is a copied one, and cosign's sha256-<hex>.sig/.att/.sbom tags), and theirs",
});

/** The engine's options, as copy and push list them (pull: all but --chunk-size, it writes no uploads). */
export const TRANSFER_OPTIONS = [
  copyPlatformsOption,
  jobsOption,
  chunkSizeOption,
  compressOption,
  preserveDigestsOption,
  referrersOption,
] as const;

/** What the transfer helpers read of a command's options. */
export type TransferOptions = Partial<OptionsOf<typeof TRANSFER_OPTIONS>>;

/** --compress and --preserve-digests as the layer policy reads them (copy/layer-policy.ts). */
function layerRequest(options: TransferOptions): LayerRequest {
  return {
    compress: options.compress ?? 'auto',
    preserveDigests: options.preserveDigests === true,
  };
}

/** push and copy: --format; pull names it --template (its --format is the archive format). */
export const transferFormatOption = formatOption(transferShape, 'a summary of the transfer');
export const transferTemplateOption = templateOption(
  '--template',
  transferShape,
  'a summary of the transfer',
);

/**
 * The summary on stdout, when asked for: --json one object (`many`: an array, one per tag of
 * `copy --all-tags`), a template one line each. Progress and the closing line stay on stderr.
 */
export function printTransfers(
  ctx: Context,
  output: OutputChoice,
  results: readonly TransferJson[],
  many = false,
): void {
  printResult(ctx, output, { json: many ? results : results[0], records: results });
}

/** The engine's options from the command's, shared by one transfer and many. */
function engineOptions(ctx: Context, options: TransferOptions) {
  return {
    client: (registry: string) => ctx.client(registry),
    platforms: options.platform,
    jobs: options.jobs ?? DEFAULT_JOBS,
    layers: layerRequest(options),
    stdout: ctx.stdout,
    chunkSize: options.chunkSize,
    retrier: ctx.retrier,
    referrers: options.referrers === true,
  };
}

/** Progress on stderr for a run of the engine (a transfer, an artifact push). */
export async function startProgress(ctx: Context): Promise<Progress> {
  // Loaded here: the transfer engine and the stores (tar-stream among them) are for transfers
  // only, so the light commands do not parse them at every start.
  const { Progress } = await import('../ui/progress.js');
  const progress = new Progress({
    stream: ctx.stderr,
    quiet: ctx.globals.quiet,
    env: ctx.env,
    color: ctx.colors.stderr.level > 0,
    warn: (text) => ctx.status.warn(text),
  });
  await progress.start();
  return progress;
}

/**
 * One copy into `destination` with progress on stderr and, when done, its closing line: `work`
 * gets the listener for the engine's events (a transfer, or the push of a built image).
 */
export async function withProgress(
  ctx: Context,
  destination: Location,
  work: (onEvent: CopyListener) => Promise<CopySummary>,
): Promise<CopySummary> {
  const progress = await startProgress(ctx);
  try {
    const summary = await work(progress.onEvent);
    progress.finish();
    progress.imageDone(summary, describeLocation(destination));
    return summary;
  } finally {
    progress.finish();
  }
}

/** One image: source to destination, with progress and its closing line on stderr. */
export async function runTransfer(
  ctx: Context,
  source: Location,
  destination: Location,
  options: TransferOptions,
  extra: { noClobber?: boolean } = {},
): Promise<CopySummary> {
  const { transferImage } = await import('../copy/transfer.js');
  return withProgress(ctx, destination, (onEvent) =>
    transferImage(source, destination, {
      ...engineOptions(ctx, options),
      noClobber: extra.noClobber,
      onEvent,
    }),
  );
}

/**
 * Many images in one run (copy -a, sync): one closing line per item as it finishes (named by its
 * label), each failure on its own line, and a total at the end. Failures do not stop the rest.
 */
export async function runMany(
  ctx: Context,
  items: readonly CopyItem[],
  options: TransferOptions,
  extra: { noClobber?: boolean; concurrency?: number } = {},
): Promise<ItemResult[]> {
  const { copyMany } = await import('../copy/many.js');
  const progress = await startProgress(ctx);
  const started = new Map<CopyItem, number>();
  const engine = engineOptions(ctx, options);
  try {
    const results = await copyMany(items, {
      ...engine,
      noClobber: extra.noClobber,
      concurrency: extra.concurrency ?? engine.jobs,
      signal: ctx.interrupt,
      onEvent: (item, event) => {
        if (!started.has(item)) started.set(item, progress.elapsed());
        progress.onEvent(event);
      },
      onResult: (result) => {
        const label = result.item.label;
        if (result.status === 'done')
          progress.imageDone(result.summary, label, progress.elapsed() - (started.get(result.item) ?? 0));
        else progress.fail(`${label}: failed: ${itemFailure(result.error, ctx.globals.debug)}`);
      },
    });
    const failed = results.filter((r) => r.status === 'failed').length;
    progress.finish(
      `${count(results.length, 'image')}: ${results.length - failed} done, ${failed} failed in ${duration(progress.elapsed())}`,
    );
    return results;
  } finally {
    progress.finish();
  }
}

/** The --json / --format record of each item of a run of many. */
export function manyJson(results: readonly ItemResult[]): TransferJson[] {
  return results.map((r) =>
    r.status === 'done'
      ? transferJson(r.item.source, r.item.destination, r.summary)
      : failedJson(r.item.source, r.item.destination, errorMessage(r.error)),
  );
}
