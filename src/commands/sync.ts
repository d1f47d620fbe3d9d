import type { SyncRecord } from '../copy/sync/run.js';
import { parseShard } from '../copy/sync/shard.js';
import { UsageError } from '../errors.js';
import { errorMessage, formatError } from '../ui/format-error.js';
import { count, duration } from '../ui/progress.js';
import { syncJson, syncShape } from '../ui/shapes/index.js';
import { globToRegExp } from '../util/glob.js';
import { formatOption, jsonOption, outputChoice, positiveInt } from './options.js';
import type { CommandSpec } from './spec.js';
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

export const sync: CommandSpec = {
  name: 'sync',
  summary: 'Mirror the repositories, registries and images a YAML file lists, copying only what is behind',
  args: ['<file>'],
  options: [
    { flags: '--dry-run', description: 'print the plan (copy, in step, filtered) and write nothing' },
    {
      flags: '--shard <i/n>',
      description: 'mirror only shard I of N (from 0), by a stable hash of the source repository',
      parse: (value) => parseShard(value),
    },
    {
      flags: '--filter <repo-glob>',
      description:
        "only source repositories matching this glob, as host/repo or repo ('*' spans '/'; repeatable)",
      parse: (value, previous) => {
        try {
          return [...((previous as RegExp[] | undefined) ?? []), globToRegExp(value)];
        } catch (err) {
          throw new UsageError(`--filter '${value}' ${(err as Error).message}`);
        }
      },
    },
    {
      flags: '-j, --jobs <n>',
      description: `images checked and copied at once, and blob transfers at once over the run (default ${DEFAULT_SYNC_JOBS})`,
      parse: positiveInt('--jobs', 64),
    },
    jsonOption,
    formatOption(syncShape, 'each image of the mirror'),
  ],
  examples: [
    'ferry sync mirror.yaml',
    'ferry sync --dry-run mirror.yaml',
    'ferry sync --shard "$JOB_COMPLETION_INDEX/4" mirror.yaml',
    "ferry sync -q --json --filter 'org/*' mirror.yaml | jq -r '.[] | select(.outcome == \"failed\") | .error'",
  ],
  async run(ctx, [file], options) {
    const output = outputChoice(options);
    const dryRun = options['dryRun'] === true;
    const jobs = (options['jobs'] as number | undefined) ?? DEFAULT_SYNC_JOBS;
    const { loadSyncConfig } = await import('../copy/sync/config.js');
    const config = await loadSyncConfig(file ?? '');
    const { syncMirror, syncExitCode } = await import('../copy/sync/run.js');
    const progress = await startProgress(ctx);
    const started = new Map<object, number>();
    let records: SyncRecord[];
    try {
      records = await syncMirror(config, {
        client: (registry) => ctx.client(registry),
        gates: ctx.gates,
        retrier: ctx.retrier,
        shard: options['shard'] as ReturnType<typeof parseShard> | undefined,
        repositories: options['filter'] as RegExp[] | undefined,
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
            progress.imageDone(record.summary, item.label, progress.elapsed() - (started.get(item) ?? 0));
          else if (record.outcome === 'failed')
            progress.say(`${item.label}: failed: ${formatError(record.error, ctx.globals.debug)}`);
        },
      });
      const closing = `${totals(records, dryRun)} in ${duration(progress.elapsed())}`;
      progress.finish(dryRun ? `dry run: ${closing}; nothing was written` : closing);
    } finally {
      progress.finish();
    }
    if (output.kind === 'json') ctx.out.json(records.map(syncJson));
    else if (output.kind === 'template') ctx.out.template(output.template, records.map(syncJson));
    else if (dryRun) ctx.out.lines(records.map(planLine));
    return syncExitCode(records);
  },
};
