// The layer packer (copy/layer-packer.ts) settles for every source it is handed, including one
// that failed or was destroyed before it got there, and leaves no file behind a failed packing:
// the copy that waits for it must not hang, and the temp folder must not fill.
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Readable } from 'node:stream';
import { after, describe, test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { LayerPacker } from '../../../src/copy/layer-packer.js';

describe('LayerPacker', () => {
  const packer = new LayerPacker();
  let folder = '';
  after(() => packer.close());

  test('packs a layer: the file holds the gzip of the bytes', async () => {
    const bytes = Buffer.from('a layer, '.repeat(1000));
    const layer = await packer.pack(Readable.from([bytes]));
    folder = dirname(layer.path);
    assert.deepEqual(gunzipSync(await readFile(layer.path)), bytes);
    await packer.discard(layer);
    assert.deepEqual(await readdir(folder), []);
  });

  test('a source that failed before it was handed over: rejected with its error', async () => {
    const source = new Readable({ read() {} });
    source.on('error', () => {});
    source.destroy(new Error('digest mismatch'));
    await new Promise((resolve) => setImmediate(resolve));
    await assert.rejects(packer.pack(source), /digest mismatch/);
    assert.deepEqual(await readdir(folder), [], 'nothing left of it');
  });

  test('a source destroyed before it was handed over: rejected, not left waiting', async () => {
    const source = new Readable({ read() {} });
    source.destroy();
    await assert.rejects(packer.pack(source), { code: 'ERR_STREAM_PREMATURE_CLOSE' });
  });

  test('a source that fails half way: rejected with its error, its file removed', async () => {
    let sent = 0;
    const source = new Readable({
      read() {
        if (sent++ < 3) this.push(Buffer.alloc(512 * 1024, sent));
        else this.destroy(new Error('connection reset'));
      },
    });
    await assert.rejects(packer.pack(source), /connection reset/);
    assert.deepEqual(await readdir(folder), []);
  });

  test('the packer still works after them; close() removes its folder and refuses more', async () => {
    const layer = await packer.pack(Readable.from([Buffer.from('next')]));
    assert.equal(gunzipSync(await readFile(layer.path)).toString(), 'next');
    await packer.close();
    await assert.rejects(readdir(folder), { code: 'ENOENT' });
    const late = Readable.from([Buffer.from('late')]);
    await assert.rejects(packer.pack(late), /closed/);
    assert.ok(late.destroyed, 'its source is not left open');
  });
});
