/** Options `append`, `mutate` and `index` share, and how they push and print what they built. */
import { tmpdir } from 'node:os';
import type { Built } from '../build/append.js';
import { parseCreated } from '../build/build-time.js';
import { parseKeyValue } from '../build/config-edit.js';
import type { BuiltIndex } from '../build/index-assembly.js';
import type { Context } from '../context.js';
import { destinationTag, type Location } from '../store/location.js';
import { count } from '../ui/progress.js';
import { type BuildFacts, buildJson, buildShape } from '../ui/shapes/index.js';
import { formatOption, jsonOption } from './options.js';
import { type OutputChoice, printResult } from './print.js';
import { type OptionsOf, option } from './spec.js';
import { DEFAULT_JOBS, jobsOption, withProgress } from './transfer-options.js';

/** A repeatable KEY=VALUE flag, collected into one object (a later KEY wins). */
export function keyValueOption<const N extends string>(name: N, description: string) {
  return option({
    flags: `--${name} <key=value>`,
    description,
    parse: (value, previous: Record<string, string> | undefined) => {
      const [key, v] = parseKeyValue(value, `--${name}`);
      return { ...previous, [key]: v };
    },
  });
}

export const annotationOption = keyValueOption(
  'annotation',
  'set this annotation on the manifests written (repeatable)',
);

export const createdOption = option({
  flags: '--created <time>',
  description:
    'the time to write (RFC 3339, or seconds since the epoch); default: SOURCE_DATE_EPOCH, else nothing changes with the clock',
  parse: (value) => {
    parseCreated(value);
    return value;
  },
});

export const buildFormatOption = formatOption(buildShape, 'a summary of the result');

export const buildOutputOptions = [jobsOption, jsonOption, buildFormatOption] as const;

/** Where builds put their temp files: $TMPDIR as the run's environment says, else the system's. */
export const tempDirOf = (ctx: Context): string => ctx.env['TMPDIR'] || tmpdir();

/**
 * Pushes what a build made to `destination` (with progress on stderr), says what was left out,
 * and prints the result: the digest, or the --json / --format summary. The built source is closed
 * (its temp files removed) whatever happens.
 */
export async function pushBuilt(
  ctx: Context,
  output: OutputChoice,
  destination: Location,
  built: Built | BuiltIndex,
  options: Partial<OptionsOf<typeof buildOutputOptions>>,
  extraTags: readonly string[] = [],
): Promise<void> {
  try {
    const { publish } = await import('../build/publish.js');
    const summary = await withProgress(ctx, destination, (onEvent) =>
      publish(built.source, destination, {
        client: (registry) => ctx.client(registry),
        jobs: options.jobs ?? DEFAULT_JOBS,
        onEvent,
        retrier: ctx.retrier,
        tags: extraTags,
      }),
    );
    const removed = 'dropped' in built ? built.dropped : built.removed;
    if (removed.length > 0)
      ctx.status.info(
        'dropped' in built
          ? `note: left out ${count(removed.length, 'attestation')} of the changed images: they describe the images as they were built`
          : `note: ${count(removed.length, 'entry', 'entries')} left the index: ${removed.map((d) => d.digest).join(', ')}`,
      );
    const tag = destinationTag(destination, destination);
    const facts: BuildFacts = {
      manifests: manifestsOf(built),
      changed: 'changed' in built ? built.changed : [],
      removed,
      tags: [...(tag === undefined ? [] : [tag]), ...extraTags],
    };
    printResult(ctx, output, {
      json: buildJson(destination, summary, facts),
      text: summary.descriptor.digest,
    });
  } finally {
    await built.source.close();
  }
}

/** The root's entries, or the root itself when it is an image. */
function manifestsOf(built: Built | BuiltIndex): BuildFacts['manifests'] {
  if ('entries' in built) return built.entries.map((e) => e.descriptor);
  const doc = JSON.parse(built.root.bytes.toString('utf8')) as { manifests?: unknown };
  return Array.isArray(doc.manifests) ? (doc.manifests as BuildFacts['manifests']) : [built.root.descriptor];
}
