// The semaphore under every limiter: a freed slot passes straight to the oldest waiter.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createLimiter, createSemaphore, mapLimit } from '../../../src/util/limit.js';

test('a caller arriving between a release and the waiter waking does not take the slot too', async () => {
  const semaphore = createSemaphore(1);
  const releaseA = await semaphore.acquire();
  const order: string[] = [];
  const b = semaphore.acquire().then((release) => {
    order.push('b');
    return release;
  });
  releaseA();
  // Before b's continuation runs, c asks: the slot is b's already.
  const c = semaphore.acquire().then((release) => {
    order.push('c');
    return release;
  });
  assert.equal(semaphore.active, 1);
  assert.equal(semaphore.waiting, 1, 'c waits');
  (await b)();
  (await c)();
  assert.deepEqual(order, ['b', 'c']);
  assert.equal(semaphore.active, 0);
});

test('a limiter of n never runs more than n tasks, whatever the timing', async () => {
  const limit = createLimiter(3);
  let running = 0;
  let most = 0;
  await Promise.all(
    Array.from({ length: 50 }, (_, i) =>
      limit(async () => {
        running++;
        most = Math.max(most, running);
        for (let k = 0; k < i % 4; k++) await Promise.resolve();
        running--;
      }),
    ),
  );
  assert.equal(most, 3);
});

test('releasing twice gives back one slot, not two', async () => {
  const semaphore = createSemaphore(1);
  const release = await semaphore.acquire();
  release();
  release();
  assert.equal(semaphore.active, 0);
  await semaphore.acquire();
  assert.equal(semaphore.active, 1);
});

test('mapLimit: after a failure no task starts, and the running ones settle before it is thrown', async () => {
  const started: number[] = [];
  const settled: number[] = [];
  const run = mapLimit([0, 1, 2, 3], 2, async (i) => {
    started.push(i);
    if (i === 0) throw new Error('first');
    await new Promise((resolve) => setImmediate(resolve));
    settled.push(i);
    return i;
  });
  await assert.rejects(run, /first/);
  assert.deepEqual(settled, [1], 'the running task settled before the failure was thrown');
  assert.deepEqual(started, [0, 1], 'no task started after the failure');
});
