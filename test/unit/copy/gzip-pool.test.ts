// The gzip pool (copy/gzip-pool.ts) settles for every source it is handed, including one that
// failed or was destroyed while it waited for a worker: the copy that aborted it must not hang.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { after, describe, test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { GzipPool } from '../../../src/copy/gzip-pool.js';

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
