// The gzip pool (copy/gzip-pool.ts) settles for every source it is handed, including one that
// failed or was destroyed while it waited for a worker, one whose worker died under it, and one
// in flight when the pool closed: the copy that waits for it must not hang.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { after, describe, test } from 'node:test';
import { Worker } from 'node:worker_threads';
import { gunzipSync } from 'node:zlib';
import { GzipPool, startGzipWorker } from '../../../src/copy/gzip-pool.js';

/** A worker thread that dies at its first message: by an uncaught error, or by exiting. */
function dying(how: 'error' | 'exit'): Worker {
  const death = how === 'error' ? "throw new Error('worker crashed')" : 'process.exit(3)';
  return new Worker(`require('node:worker_threads').parentPort.once('message', () => { ${death}; });`, {
    eval: true,
  });
}

describe('GzipPool', () => {
  const pool = new GzipPool(1);
  after(() => pool.close());

  test('packs a layer: the file holds the gzip of the bytes', async () => {
    const bytes = Buffer.from('a layer, '.repeat(1000));
    const layer = await pool.pack(Readable.from([bytes]));
    assert.deepEqual(gunzipSync(await readFile(layer.path)), bytes);
    await pool.discard(layer);
  });

  test('a source that failed before it was handed over: rejected with its error', async () => {
    const source = new Readable({ read() {} });
    source.on('error', () => {});
    source.destroy(new Error('digest mismatch'));
    await new Promise((resolve) => setImmediate(resolve));
    await assert.rejects(pool.pack(source), /digest mismatch/);
  });

  test('a source destroyed before it was handed over: rejected, not left waiting', async () => {
    const source = new Readable({ read() {} });
    source.destroy();
    await assert.rejects(pool.pack(source), { code: 'ERR_STREAM_PREMATURE_CLOSE' });
  });

  test('the pool still works after them', async () => {
    const layer = await pool.pack(Readable.from([Buffer.from('next')]));
    assert.equal(gunzipSync(await readFile(layer.path)).toString(), 'next');
    await pool.discard(layer);
  });
});

describe('GzipPool when a worker dies', () => {
  for (const how of ['error', 'exit'] as const) {
    test(`a worker's ${how} fails its layer; the next layer gets a new worker`, async () => {
      let started = 0;
      const pool = new GzipPool(1, () => (started++ === 0 ? dying(how) : startGzipWorker()));
      try {
        await assert.rejects(
          pool.pack(Readable.from([Buffer.from('lost')])),
          how === 'error' ? /worker crashed/ : /the worker stopped \(exit code 3\)/,
        );
        const layer = await pool.pack(Readable.from([Buffer.from('next')]));
        assert.equal(gunzipSync(await readFile(layer.path)).toString(), 'next');
        assert.equal(started, 2, 'the dead worker was replaced, not handed out again');
      } finally {
        await pool.close();
      }
    });
  }

  test('close() while a layer is being packed fails that layer, and a layer waiting for a worker', async () => {
    const pool = new GzipPool(1);
    const source = new Readable({ read() {} });
    source.push(Buffer.from('the start of a layer that never ends'));
    const packing = pool.pack(source);
    packing.catch(() => {});
    await once(source, 'resume'); // the worker is reading it
    const waiting = pool.pack(Readable.from([Buffer.from('queued')]));
    waiting.catch(() => {});
    await new Promise((resolve) => setImmediate(resolve)); // queued for the one worker
    await pool.close();
    await assert.rejects(packing, /closed/);
    await assert.rejects(waiting, /closed/);
  });
});
