// The copy spinner (ora) on a terminal follows ferry's colour decision for stderr: ora colours its
// frames through chalk's own detection, which ignores NO_COLOR and --no-color in ctx.env.
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import chalk from 'chalk';
import { Progress } from '../../../src/ui/progress.js';

const CYAN = '\u001b[36m';

async function spinnerOutput(color: boolean): Promise<string> {
  let out = '';
  const stream = Object.assign(
    new Writable({
      write(chunk, _enc, done) {
        out += String(chunk);
        done();
      },
    }),
    { isTTY: true, columns: 80, cursorTo: () => true, clearLine: () => true, moveCursor: () => true },
  );
  const progress = new Progress({ stream, quiet: false, env: { TERM: 'xterm' }, color });
  await progress.start();
  await sleep(250);
  progress.finish(undefined);
  return out;
}

test('ora spinner: cyan frames only when stderr takes colour', async () => {
  const level = chalk.level;
  chalk.level = 1; // as on a colour terminal, whatever runs the tests
  // ora (through is-interactive) draws nothing when CI is set in process.env, and CI machines set
  // it: take it away for this test so the assertion runs there too.
  const ci = process.env.CI;
  delete process.env.CI;
  try {
    const coloured = await spinnerOutput(true);
    const plain = await spinnerOutput(false);
    assert.ok(coloured.includes(CYAN), `coloured: ${JSON.stringify(coloured.slice(0, 200))}`);
    assert.ok(plain.length > 0, 'the spinner drew');
    assert.ok(!plain.includes(CYAN), `plain: ${JSON.stringify(plain.slice(0, 200))}`);
  } finally {
    chalk.level = level;
    if (ci !== undefined) process.env.CI = ci;
  }
});
