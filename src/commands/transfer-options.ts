/** Options shared by copy, pull and push, and the one function they all end in. */
import type { Context } from '../context.js';
import type { CopySummary } from '../copy/events.js';
import { UsageError } from '../errors.js';
import type { Platform } from '../image/descriptor.js';
import { parsePlatform } from '../image/platform.js';
import type { Location } from '../store/location.js';
import { type TransferJson, transferShape } from '../ui/shapes/index.js';
import { formatOption, type OutputChoice, PLATFORMS, positiveInt } from './options.js';
import type { OptionSpec } from './spec.js';

/** Parallel blob transfers: skopeo copies 6 layers at once; more rarely helps one registry. */
export const DEFAULT_JOBS = 6;

export const platformsOption: OptionSpec = {
  flags: '--platform <os/arch[/variant]>',
  description: 'copy only this platform of an index (repeatable: several make a new index of them)',
  parse: (value, previous) => [...((previous as Platform[] | undefined) ?? []), parsePlatform(value)],
  choices: PLATFORMS,
};

export const jobsOption: OptionSpec = {
  flags: '-j, --jobs <n>',
  description: `blobs transferred in parallel (default ${DEFAULT_JOBS})`,
  parse: positiveInt('--jobs', 64),
};

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

export const chunkSizeOption: OptionSpec = {
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
};

/** push and copy: --format; pull names it --template (its --format is the archive format). */
export const transferFormatOption = formatOption(transferShape, 'a summary of the transfer');
export const transferTemplateOption = formatOption(transferShape, 'a summary of the transfer', '--template');

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
  if (output.kind === 'json') ctx.out.json(many ? results : results[0]);
  else if (output.kind === 'template') ctx.out.template(output.template, results);
}

export async function runTransfer(
  ctx: Context,
  source: Location,
  destination: Location,
  options: Record<string, unknown>,
): Promise<CopySummary> {
  // Loaded here: the transfer engine and the stores (tar-stream among them) are for transfers
  // only, so the light commands do not parse them at every start.
  const [{ transferImage }, { Progress }] = await Promise.all([
    import('../copy/transfer.js'),
    import('../ui/progress.js'),
  ]);
  const progress = new Progress({
    stream: ctx.stderr,
    quiet: ctx.globals.quiet,
    env: ctx.env,
    color: ctx.colors.stderr.level > 0,
  });
  await progress.start();
  let summary: CopySummary | undefined;
  try {
    summary = await transferImage(source, destination, {
      client: (registry) => ctx.client(registry),
      platforms: options['platform'] as Platform[] | undefined,
      jobs: (options['jobs'] as number | undefined) ?? DEFAULT_JOBS,
      onEvent: progress.onEvent,
      stdout: ctx.stdout,
      chunkSize: options['chunkSize'] as number | undefined,
      retrier: ctx.retrier,
    });
    return summary;
  } finally {
    progress.finish(summary);
  }
}
