/**
 * Counting semaphores. A freed slot is handed straight to the oldest waiter: releasing does not
 * lower the count when someone waits, so a caller arriving between the release and the waiter's
 * wake-up finds the slot taken and queues (an earlier version decremented first and let that
 * caller in too, admitting two where one was allowed).
 */

export type Limiter = <R>(task: () => Promise<R>) => Promise<R>;

export interface Semaphore {
  /** Resolves once a slot is held; call the returned function exactly once to give it back. */
  acquire(): Promise<() => void>;
  /** Slots held now. */
  readonly active: number;
  /** Callers waiting for a slot. */
  readonly waiting: number;
}

export function createSemaphore(concurrency: number): Semaphore {
  if (!(concurrency >= 1)) throw new RangeError(`concurrency must be at least 1, not ${concurrency}`);
  let active = 0;
  const queue: (() => void)[] = [];
  const releaser = (): (() => void) => {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = queue.shift();
      // The slot passes to `next` as it is: `active` stays the same.
      if (next) next();
      else active--;
    };
  };
  return {
    acquire() {
      if (active < concurrency) {
        active++;
        return Promise.resolve(releaser());
      }
      return new Promise((resolve) => queue.push(() => resolve(releaser())));
    },
    get active() {
      return active;
    },
    get waiting() {
      return queue.length;
    },
  };
}

/** `limit(task)` runs `task` once one of `concurrency` slots is free, and frees it when the task settles. */
export function createLimiter(concurrency: number): Limiter {
  const semaphore = createSemaphore(concurrency);
  return async (task) => {
    const release = await semaphore.acquire();
    try {
      return await task();
    } finally {
      release();
    }
  };
}

/**
 * Runs at most `concurrency` of the given async tasks at once; results keep their order. After
 * the first failure no task starts, and the running ones settle before that failure is thrown:
 * whatever the caller cleans up then (a run's temp files) is no longer in use.
 */
export async function mapLimit<T, R>(
  items: readonly T[],
  concurrency: number,
  task: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (failure === undefined && next < items.length) {
      const i = next++;
      try {
        results[i] = await task(items[i] as T, i);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, worker));
  if (failure !== undefined) throw failure.error;
  return results;
}
