import type { SyncRecord } from '../copy/sync/run.js';
import { parseShard } from '../copy/sync/shard.js';
import { UsageError } from '../errors.js';
import { errorMessage, itemFailure } from '../ui/format-error.js';
import { count, duration } from '../ui/progress.js';
import { syncJson, syncShape } from '../ui/shapes/index.js';
import { globToRegExp } from '../util/glob.js';
import { formatOption, jsonOption, positiveInt } from './options.js';
import { outputChoice, printResult } from './print.js';
import { bindSyncSides, SIDE_GLOBALS_INSTEAD, SIDE_OPTIONS } from './side-options.js';
import { defineCommand, option, repeatable } from './spec.js';
import { startProgress } from './transfer-options.js';

/** Images checked and copied at once, and blob transfers over the run: a check is two HEADs, latency-bound. */
const DEFAULT_SYNC_JOBS = 16;

/** `--dry-run` on stdout: one line per image, what would happen to it. */
function planLine(record: SyncRecord): string {
  const { label } = record.item;
  switch (record.outcome) {
    case 'would-copy':
      return `copy      ${label}`;
    case 'filtered':
      return `filtered  ${label} (${record.reason})`;
    case 'failed':
      return `failed    ${label}: ${errorMessage(record.error)}`;
    default:
      return `in-step   ${label}`;
  }
}

function totals(records: readonly SyncRecord[], dryRun: boolean): string {
  const n = (outcome: SyncRecord['outcome']) => records.filter((r) => r.outcome === outcome).length;
  const parts = [
    dryRun ? `${n('would-copy')} to copy` : `${n('copied')} copied`,
    `${n('in-step')} in step`,
    `${n('filtered')} filtered`,
    `${n('failed')} failed`,
  ];
  return `${count(records.length, 'image')}: ${parts.join(', ')}`;
}

export const sync = defineCommand({
  name: 'sync',
  summary: 'Mirror the repositories, registries and images a YAML file lists, copying only what is behind',
  args: ['<file>'],
  options: [
    { flags: '--dry-run', description: 'print the plan (copy, in step, filtered) and write nothing' },
    option({
      flags: '--shard <i/n>',
      description: 'mirror only shard I of N (from 0), by a stable hash of the source repository',
      parse: (value: string) => parseShard(value),
    }),
    option({
      flags: '--filter <repo-glob>',
      description:
        "only source repositories matching this glob, as host/repo or repo ('*' spans '/'; repeatable)",
      parse: repeatable((value: string): RegExp => {
        try {
          return globToRegExp(value);
        } catch (err) {
          throw new UsageError(`--filter '${value}' ${(err as Error).message}`);
        }
      }),
    }),
    option({
      flags: '-j, --jobs <n>',
      description: `images checked and copied at once, and blob transfers at once over the run (default ${DEFAULT_SYNC_JOBS})`,
      parse: positiveInt('--jobs', 64),
    }),
    ...SIDE_OPTIONS,
    jsonOption,
    formatOption(syncShape, 'each image of the mirror'),
  ],
  examples: [
    'ferry sync mirror.yaml',
    'ferry sync --dry-run mirror.yaml',
    'ferry sync --shard "$JOB_COMPLETION_INDEX/4" mirror.yaml',
    "ferry sync -q --json --filter 'org/*' mirror.yaml | jq -r '.[] | select(.outcome == \"failed\") | .error'",
  ],
  // The file names the registries, so -u and --cert-dir could not say which one: refused, and
  // the side flags named instead (bound when the file puts that side on one registry). Otherwise
  // credentials come from the docker config (regsync's `creds` key is refused: copy/sync/config.ts).
  registries: () => 'listed in a file',
  perRegistryFlags: SIDE_GLOBALS_INSTEAD,
  async run(ctx, [file], options) {
    const output = outputChoice(options.json, options.format);
    const dryRun = options.dryRun === true;
    const jobs = options.jobs ?? DEFAULT_SYNC_JOBS;
    const { loadSyncConfig } = await import('../copy/sync/config.js');
    const config = await loadSyncConfig(file ?? '');
    bindSyncSides(ctx, options, {
      src: config.entries.map((e) => e.source.registry),
      dest: config.entries.map((e) => e.target.registry),
    });
    const { syncMirror, syncExitCode } = await import('../copy/sync/run.js');
    const progress = await startProgress(ctx);
    const started = new Map<object, number>();
    let records: SyncRecord[];
    try {
      records = await syncMirror(config, {
        client: (registry) => ctx.client(registry),
        gates: ctx.gates,
        retrier: ctx.retrier,
        shard: options.shard,
        repositories: options.filter,
        dryRun,
        concurrency: jobs,
        jobs,
        signal: ctx.interrupt,
        onEvent: (item, event) => {
          if (!started.has(item)) started.set(item, progress.elapsed());
          progress.onEvent(event);
        },
        onRecord: (record) => {
          const { item } = record;
          if (record.outcome === 'copied')
            progress.imageDone(
              record.summary,
              item.label,
              progress.elapsed() - (started.get(item) ?? 0),
              // sync has no -r: the file's `referrers: true` takes them.
              "'referrers: true' in the file copies them",
            );
          else if (record.outcome === 'failed')
            progress.fail(`${item.label}: failed: ${itemFailure(record.error, ctx.globals.debug)}`);
        },
      });
      const closing = `${totals(records, dryRun)} in ${duration(progress.elapsed())}`;
      progress.finish(dryRun ? `dry run: ${closing}; nothing was written` : closing);
    } finally {
      progress.finish();
    }
    const json = records.map(syncJson);
    printResult(ctx, output, { json, records: json, text: dryRun ? records.map(planLine) : undefined });
    return syncExitCode(records);
  },
});
