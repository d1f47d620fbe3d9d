/**
 * `ferry sync`: a mirror kept in step from a file (issue 11), on the engine's many-images module.
 *
 * 1. The file's host limits go to the run's host gates (http/host-gate.ts), so they hold for every
 *    request of the run: listings, checks and copies alike.
 * 2. The plan (plan.ts): repositories listed once each, tags filtered, the shard kept.
 * 3. Every image, under one pool (many.ts `copyEach`: `concurrency` images at once, one limiter on
 *    blob transfers, one transfer per shared blob): first the in-step check by HEAD requests
 *    (in-step.ts), then, only if the destination is behind, the copy, pinned to the digest the
 *    check saw, so the tag gets exactly what was checked even if the source moves meanwhile.
 *    The engine puts each image's manifests last, so an interrupted run leaves no tag naming a
 *    half-copied image and the next run completes it. With `dryRun` only the checks run.
 *
 * A failed image is recorded and the rest go on; each record says copied, in step, filtered,
 * would copy (dry run) or failed, and why.
 */
import { ExitCode } from '../../errors.js';
import type { HostGates } from '../../http/host-gate.js';
import { type Reference, registryEndpoint } from '../../ref/index.js';
import type { RegistryClient } from '../../registry/client.js';
import { mapLimit } from '../../util/limit.js';
import type { CopyEvent, CopySummary } from '../events.js';
import { checkInStep, inStepSummary } from '../in-step.js';
import { copyEach, exitCodeOf } from '../many.js';
import type { TransferOptions } from '../transfer.js';
import type { SyncConfig } from './config.js';
import { type PlanRecord, planSync, type SyncItem } from './plan.js';
import type { Shard } from './shard.js';

export type SyncRecord =
  | { item: SyncItem; outcome: 'copied' | 'in-step'; summary: CopySummary }
  /** --dry-run: behind, and would be copied. */
  | { item: SyncItem; outcome: 'would-copy'; sourceDigest: string | undefined }
  | { item: SyncItem; outcome: 'filtered'; reason: string }
  | { item: SyncItem; outcome: 'failed'; error: unknown };

export interface SyncOptions extends Pick<TransferOptions, 'client' | 'layers' | 'chunkSize' | 'retrier'> {
  client: (registry: string) => RegistryClient;
  /** The run's per-host gates, which take the file's `hosts` limits. */
  gates: HostGates;
  shard?: Shard | undefined;
  /** --filter: only source repositories matching one of these. */
  repositories?: readonly RegExp[] | undefined;
  dryRun: boolean;
  /** Images checked and copied at once. */
  concurrency: number;
  /** Blob transfers at once, over the whole run. */
  jobs: number;
  signal?: AbortSignal | undefined;
  onEvent?: ((item: SyncItem, event: CopyEvent) => void) | undefined;
  /** Told of each record as it is settled (planning failures and filtered tags first). */
  onRecord?: ((record: SyncRecord) => void) | undefined;
}

export async function syncMirror(config: SyncConfig, options: SyncOptions): Promise<SyncRecord[]> {
  for (const [registry, limits] of config.hosts) options.gates.limit(registryEndpoint(registry), limits);
  const plan = await planSync(config.entries, options);
  const early = plan.flatMap((r) => (r.kind === 'image' ? [] : [planned(r)]));
  for (const record of early) options.onRecord?.(record);
  const items = plan.flatMap((r) => (r.kind === 'image' ? [r.item] : []));
  const done = options.dryRun ? await checkOnly(items, options) : await mirror(items, options);
  // In the plan's order: by entry, repository, then tag.
  const byItem = new Map<SyncItem, SyncRecord>([...early, ...done].map((r) => [r.item, r]));
  return plan.map((r) => byItem.get(r.item)!);
}

function planned(record: Exclude<PlanRecord, { kind: 'image' }>): SyncRecord {
  return record.kind === 'filtered'
    ? { item: record.item, outcome: 'filtered', reason: record.reason }
    : { item: record.item, outcome: 'failed', error: record.error };
}

const registryImage = (options: SyncOptions, ref: Reference) => ({
  client: options.client(ref.registry),
  ref,
});

async function mirror(items: readonly SyncItem[], options: SyncOptions): Promise<SyncRecord[]> {
  const results = await copyEach(
    items,
    {
      concurrency: options.concurrency,
      jobs: options.jobs,
      signal: options.signal,
      onResult: (result) => options.onRecord?.(recordOf(result)),
    },
    async (item, session) => {
      const source = registryImage(options, item.sourceRef);
      const check = await checkInStep(
        source,
        registryImage(options, item.destinationRef),
        item.entry.platforms,
      );
      // With referrers an image in step may still have new signatures: the engine finds the image
      // in step (no blob moves) and copies the referrers the destination lacks.
      if (check.inStep && !item.entry.referrers) return inStepSummary({ ...check, inStep: check.inStep });
      // The engine finds a tag in step only for a copy as is: with platforms narrowed it would
      // put the manifest again on every run. When what the tag holds is a manifest of the source
      // (a single image, or the one platform picked out of an index), copying that as it is
      // gives the same tag and the same referrers, and is found in step.
      const platforms = item.entry.platforms;
      const held = check.inStep?.digest;
      const asHeld =
        held !== undefined &&
        platforms !== undefined &&
        (held === check.sourceDigest || platforms.length === 1);
      const digest = asHeld ? held : check.sourceDigest;
      const pinned = digest === undefined ? source.ref : { ...source.ref, digest };
      // The stores and the engine load only once an image is behind: a run in step needs none.
      const { transferImage } = await import('../transfer.js');
      const summary = await transferImage({ kind: 'registry', ref: pinned }, item.destination, {
        client: options.client,
        jobs: options.jobs,
        session,
        platforms: asHeld ? undefined : platforms,
        referrers: item.entry.referrers,
        // A mirror's first run: the check's HEAD found no tag, and the engine need not ask again.
        tagSeenAbsent: check.destinationAbsent,
        layers: options.layers,
        chunkSize: options.chunkSize,
        retrier: options.retrier,
        onEvent: options.onEvent && ((event: CopyEvent) => options.onEvent?.(item, event)),
      });
      // A record's sourceDigest is what the source tag named when checked, whatever was picked.
      return { ...summary, sourceDigest: check.sourceDigest ?? summary.sourceDigest };
    },
  );
  return results.map(recordOf);
}

function recordOf(
  result:
    | { item: SyncItem; status: 'done'; summary: CopySummary }
    | { item: SyncItem; status: 'failed'; error: unknown },
): SyncRecord {
  if (result.status === 'failed') return { item: result.item, outcome: 'failed', error: result.error };
  const outcome = result.summary.outcome === 'in-step' ? 'in-step' : 'copied';
  return { item: result.item, outcome, summary: result.summary };
}

/** --dry-run: the checks alone, under the same pool size; nothing is written. */
function checkOnly(items: readonly SyncItem[], options: SyncOptions): Promise<SyncRecord[]> {
  return mapLimit(items, options.concurrency, async (item): Promise<SyncRecord> => {
    let record: SyncRecord;
    try {
      options.signal?.throwIfAborted();
      const check = await checkInStep(
        registryImage(options, item.sourceRef),
        registryImage(options, item.destinationRef),
        item.entry.platforms,
      );
      record = check.inStep
        ? { item, outcome: 'in-step', summary: inStepSummary({ ...check, inStep: check.inStep }) }
        : { item, outcome: 'would-copy', sourceDigest: check.sourceDigest };
    } catch (error) {
      if (options.signal?.aborted) throw error;
      record = { item, outcome: 'failed', error };
    }
    options.onRecord?.(record);
    return record;
  });
}

/** 0, or the partial-failure code (many.ts `exitCodeOf`); filtered tags were never attempted. */
export function syncExitCode(records: readonly SyncRecord[]): number {
  const attempted = records.filter((r) => r.outcome !== 'filtered');
  if (attempted.length === 0) return ExitCode.ok;
  return exitCodeOf(
    attempted.map((r) =>
      r.outcome === 'failed' ? { status: 'failed', error: r.error } : { status: 'done' },
    ),
  );
}
