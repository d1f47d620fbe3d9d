// The per-host gate (src/http/host-gate.ts) on a clock of its own: time passes only when the gate
// sleeps, so waits are counted exactly, without timing the test.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type GateClock, HostGates, QuotaFloorError } from '../../../src/http/host-gate.js';

function fakeClock(): GateClock & { t: number; sleeps: number[] } {
  const clock = {
    t: 0,
    sleeps: [] as number[],
    now: () => clock.t,
    sleep: async (ms: number) => {
      clock.sleeps.push(ms);
      clock.t += ms;
    },
  };
  return clock;
}

const answer = (status: number, headers: Record<string, string> = {}) => ({ status, headers });

describe('host gate', () => {
  test('concurrent: a freed slot goes to the next waiter, never two over the limit', async () => {
    const gates = new HostGates(fakeClock());
    gates.limit('r.example', { concurrent: 2 });
    const gate = gates.for('r.example');
    let inside = 0;
    let most = 0;
    await Promise.all(
      Array.from({ length: 7 }, async () => {
        const leave = await gate.enter();
        inside++;
        most = Math.max(most, inside);
        await new Promise((r) => setImmediate(r));
        inside--;
        leave();
      }),
    );
    assert.equal(most, 2);
  });

  test('requestsPerSecond: a burst of one second, then one request per 1/rate', async () => {
    const clock = fakeClock();
    const gates = new HostGates(clock);
    gates.limit('r.example', { requestsPerSecond: 4 });
    const gate = gates.for('r.example');
    for (let i = 0; i < 10; i++) (await gate.enter())();
    // 4 at once, then 6 more at 250 ms each.
    assert.equal(clock.t, 1500);
  });

  test('a Retry-After pauses every request to that host, not others', async () => {
    const clock = fakeClock();
    const gates = new HostGates(clock);
    gates.for('r.example').observe(answer(429, { 'retry-after': '2' }));
    (await gates.for('other.example').enter())();
    assert.equal(clock.t, 0, 'another host is not paused');
    (await gates.for('r.example').enter())();
    assert.equal(clock.t, 2000);
    (await gates.for('r.example').enter())();
    assert.equal(clock.t, 2000, 'the pause is over');
    // A 503 that says when pauses too; one that does not leaves the waiting to the retries.
    gates.for('r.example').observe(answer(503));
    (await gates.for('r.example').enter())();
    assert.equal(clock.t, 2000);
  });

  test('quotaFloor: manifest pulls stop at the floor; HEADs (free) and blobs go on', async () => {
    const gates = new HostGates(fakeClock());
    gates.limit('hub.example', { quotaFloor: 20 });
    const gate = gates.for('hub.example');
    gate.observe(answer(200, { 'ratelimit-remaining': '21;w=21600' }));
    (await gate.enter(undefined, true))();
    gate.observe(answer(200, { 'ratelimit-remaining': '20;w=21600' }));
    await assert.rejects(gate.enter(undefined, true), QuotaFloorError);
    (await gate.enter(undefined, false))();
  });

  test('a request waiting for a slot when a 429 comes in waits out the pause as well', async () => {
    const clock = fakeClock();
    const gates = new HostGates(clock);
    gates.limit('r.example', { concurrent: 1 });
    const gate = gates.for('r.example');
    const first = await gate.enter();
    const waiting = gate.enter();
    // While the second waits for the slot, the first's answer says: come back in 3 s.
    gate.observe(answer(429, { 'retry-after': '3' }));
    first();
    (await waiting)();
    assert.equal(clock.t, 3000, 'the slot went to it only after the pause');
  });
});
