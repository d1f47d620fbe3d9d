/**
 * Many images, one engine (architecture.md §7): `copy -a`, `copy --no-clobber`, `sync` and index
 * assembly hand a plan of items to `copyMany`, which copies them concurrently in one session (one
 * limiter on blob transfers for the whole run, one transfer per shared blob; session.ts). Every
 * item gets its own result: a failure of one is recorded and the others go on. The per-host
 * limits on requests (concurrency, rate, the cool-down after a 429) live in the HTTP stack and
 * hold across all of them.
 */
import { ExitCode } from '../errors.js';
import type { Location } from '../store/location.js';
import { mapLimit } from '../util/limit.js';
import type { CopyEvent, CopySummary } from './events.js';
import { CopySession } from './session.js';
import type { TransferOptions } from './transfer.js';

export interface CopyItem {
  source: Location;
  destination: Location;
  /** How messages name the item: the tag for `copy -a`, `source → destination` for a mirror. */
  label: string;
}

export type ItemResult<I = CopyItem> =
  | { item: I; status: 'done'; summary: CopySummary }
  | { item: I; status: 'failed'; error: unknown };

export interface EachOptions<I> {
  /** Images copied at once. */
  concurrency: number;
  /** Blob transfers at once, over all of them (the session's limiter). */
  jobs: number;
  /** Told as each item finishes, in the order they finish. */
  onResult?: ((result: ItemResult<I>) => void) | undefined;
  /** Ends the run early (Ctrl-C): items not yet started are not started. */
  signal?: AbortSignal | undefined;
}

/**
 * Runs `copy` for every item, `concurrency` at a time, all in one session; a failed item is
 * recorded and the rest go on. The results keep the items' order. An interrupt ends the run: no
 * item starts after it, and the session closes (its temp files) only once every
 * running item has settled (mapLimit), so none still uses them while they go.
 */
export async function copyEach<I>(
  items: readonly I[],
  options: EachOptions<I>,
  copy: (item: I, session: CopySession) => Promise<CopySummary>,
): Promise<ItemResult<I>[]> {
  const session = new CopySession(options.jobs);
  try {
    return await mapLimit(items, options.concurrency, async (item): Promise<ItemResult<I>> => {
      let result: ItemResult<I>;
      try {
        options.signal?.throwIfAborted();
        result = { item, status: 'done', summary: await copy(item, session) };
      } catch (error) {
        // An interrupt ends the whole run, not just this item.
        if (options.signal?.aborted) throw error;
        result = { item, status: 'failed', error };
      }
      options.onResult?.(result);
      return result;
    });
  } finally {
    await session.close();
  }
}

export interface ManyOptions extends Omit<TransferOptions, 'session' | 'onEvent'>, EachOptions<CopyItem> {
  /** Every item's copy events, tagged with the item. */
  onEvent?: ((item: CopyItem, event: CopyEvent) => void) | undefined;
}

/** Copies each item's source location to its destination location (transfer.ts), in one session. */
export async function copyMany(items: readonly CopyItem[], options: ManyOptions): Promise<ItemResult[]> {
  // Loaded here, not with this module: copyEach alone (a mirror in step) needs no store.
  const { transferImage } = await import('./transfer.js');
  const { concurrency, onEvent, onResult, signal, ...transfer } = options;
  return copyEach(items, { concurrency, jobs: transfer.jobs, onResult, signal }, (item, session) =>
    transferImage(item.source, item.destination, {
      ...transfer,
      session,
      onEvent: onEvent && ((event) => onEvent(item, event)),
    }),
  );
}

/**
 * The exit code of a run of many items: 0 when all succeeded; ExitCode.partial when some failed;
 * when every item failed, and all for the same kind of reason, that reason's own code (every item
 * refused for the same credentials is an auth failure, exit 3), else ExitCode.partial.
 */
export function exitCodeOf(results: readonly { status: 'done' | 'failed'; error?: unknown }[]): number {
  const codes = new Set<number>();
  for (const r of results) {
    if (r.status !== 'failed') continue;
    const code = (r.error as { exitCode?: unknown } | undefined)?.exitCode;
    codes.add(typeof code === 'number' ? code : ExitCode.internal);
  }
  if (codes.size === 0) return ExitCode.ok;
  const failed = results.filter((r) => r.status === 'failed').length;
  if (codes.size === 1 && failed === results.length) return [...codes][0]!;
  return ExitCode.partial;
}
