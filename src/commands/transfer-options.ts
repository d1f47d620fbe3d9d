/** Options shared by copy, pull and push, and the one function they all end in. */
import type { Context } from '../context.js';
import type { CopySummary } from '../copy/events.js';
import { transferImage } from '../copy/transfer.js';
import type { Platform } from '../image/descriptor.js';
import { parsePlatform } from '../image/platform.js';
import type { Location } from '../store/location.js';
import { Progress } from '../ui/progress.js';
import { PLATFORMS, positiveInt } from './options.js';
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

export async function runTransfer(
  ctx: Context,
  source: Location,
  destination: Location,
  options: Record<string, unknown>,
): Promise<CopySummary> {
  const progress = new Progress({ stream: ctx.stderr, quiet: ctx.globals.quiet, env: ctx.env });
  await progress.start();
  let summary: CopySummary | undefined;
  try {
    summary = await transferImage(source, destination, {
      client: (registry) => ctx.client(registry),
      platforms: options['platform'] as Platform[] | undefined,
      jobs: (options['jobs'] as number | undefined) ?? DEFAULT_JOBS,
      onEvent: progress.onEvent,
      stdout: ctx.stdout,
    });
    return summary;
  } finally {
    progress.finish(summary);
  }
}
