// `ferry blob` and `ferry blob rm` against the real registry: the bytes are the layer the image
// generator wrote; a byte flipped on the way (fault proxy) fails with exit 6 and leaves no FILE
// (an existing FILE keeps its old content) and no temp file; a connection cut mid-blob is resumed
// with Range; a terminal stdout is refused unless `-` asks for it; `blob rm` deletes (HEAD then
// 404), and a registry with deletes disabled gets exit 7 with the hint.
import assert from 'node:assert/strict';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { after, afterEach, before, describe, test } from 'node:test';
import { main } from '../../src/cli.js';
import { type FaultProxy, startFaultProxy } from '../harness/fault-proxy.js';
import { errorLine, ferryAccess } from '../harness/fixtures.js';
import { generateImage, type ImageSummary, readLayoutBlob } from '../harness/images.js';
import { type Registry, startRegistry } from '../harness/registry.js';
import { baseEnv, ferry } from '../harness/run-ferry.js';
import { pushImage } from '../harness/skopeo.js';
import { makeTempDir } from '../harness/tmp.js';

const REPO = 'blob/app';
/** Several 1 MiB chunks, so a stream sees more than one before the end. */
const LAYER_SIZE = 3 * 1024 * 1024 + 123;

/** A stdout that says it is a terminal (the in-process runner's is not). */
class TtyCapture extends Writable {
  readonly chunks: Buffer[] = [];
  isTTY = true;
  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    this.chunks.push(Buffer.from(chunk));
    done();
  }
}

async function ferryOnTty(args: string[]): Promise<{ code: number; stdout: Buffer; stderr: string }> {
  const stdout = new TtyCapture();
  const stderr = new TtyCapture();
  const code = await main(args, { stdout, stderr, stdin: new PassThrough().end(), env: baseEnv() });
  return { code, stdout: Buffer.concat(stdout.chunks), stderr: Buffer.concat(stderr.chunks).toString() };
}

const headStatus = async (reg: Registry, digest: string): Promise<number> =>
  (await fetch(`${reg.url}/v2/${REPO}/blobs/${digest}`, { method: 'HEAD' })).status;

describe('ferry blob', () => {
  let reg: Registry;
  let token: Registry;
  let noDelete: Registry;
  let proxy: FaultProxy;
  let image: ImageSummary;
  let layer: { digest: string; bytes: Buffer };
  let config: { digest: string; bytes: Buffer };

  before(async () => {
    [reg, token, noDelete, image] = await Promise.all([
      startRegistry('anonymous'),
      startRegistry('token'),
      startRegistry({ deleteEnabled: false }),
      generateImage({ tag: 'v1', seed: 'blob', layers: [LAYER_SIZE, 200] }),
    ]);
    await Promise.all([reg, token, noDelete].map((r) => pushImage(r, `${REPO}:v1`, image)));
    proxy = await startFaultProxy({ upstream: reg.url });
    const platform = image.platforms[0]!;
    const digest = platform.layers[0]!.digest;
    layer = { digest, bytes: await readLayoutBlob(image.dir, digest) };
    config = { digest: platform.configDigest, bytes: await readLayoutBlob(image.dir, platform.configDigest) };
  });
  afterEach(async () => {
    await proxy.idle();
    proxy.clearRules();
    proxy.clearLog();
  });
  after(async () => {
    await proxy?.close();
    await Promise.all([reg, token, noDelete].map((r) => r?.stop()));
  });

  test('to stdout: the exact layer bytes, nothing on stderr', async () => {
    const r = await ferry(['blob', `${reg.host}/${REPO}@${layer.digest}`]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    assert.ok(r.stdoutBytes.equals(layer.bytes), 'stdout is the layer');
  });

  test('to FILE: written atomically, no temp file; an existing FILE is replaced', async () => {
    const dir = await makeTempDir('blob');
    const file = join(dir, 'layer.tar.gz');
    await writeFile(file, 'old content');
    const r = await ferry(['blob', `${reg.host}/${REPO}@${layer.digest}`, file]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, new RegExp(`wrote ${layer.bytes.length} bytes`));
    assert.ok((await readFile(file)).equals(layer.bytes));
    assert.deepEqual(await readdir(dir), ['layer.tar.gz']);
  });

  // That the same user may not delete it (exit 3) is in auth-failures.test.ts.
  test('token registry: a pull-only user may read a blob', async () => {
    const access = ferryAccess(token, 'reader');
    const r = await ferry([...access.args, 'blob', `${token.host}/${REPO}@${config.digest}`], access.run);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(r.stdoutBytes.equals(config.bytes));
  });

  test('a flipped byte: exit 6, no FILE (or the old one untouched), no temp file', async () => {
    proxy.addRule({ method: 'GET', path: /\/blobs\//, action: { kind: 'flip', at: 2_000_000 } });
    const dir = await makeTempDir('blob-flip');
    const fresh = join(dir, 'fresh.bin');
    const r = await ferry(['--retries', '0', 'blob', `${proxy.host}/${REPO}@${layer.digest}`, fresh]);
    assert.equal(r.code, 6, r.stderr);
    assert.match(errorLine(r), /digest mismatch/);
    const kept = join(dir, 'kept.bin');
    await writeFile(kept, 'old content');
    const again = await ferry(['--retries', '0', 'blob', `${proxy.host}/${REPO}@${layer.digest}`, kept]);
    assert.equal(again.code, 6);
    assert.equal(await readFile(kept, 'utf8'), 'old content');
    assert.deepEqual(await readdir(dir), ['kept.bin']);
  });

  test('a flipped byte to stdout: exit 6, and the last chunk is held back (never the whole blob)', async () => {
    proxy.addRule({ method: 'GET', path: /\/blobs\//, action: { kind: 'flip', at: 10 } });
    const r = await ferry(['--retries', '0', 'blob', `${proxy.host}/${REPO}@${layer.digest}`]);
    assert.equal(r.code, 6, r.stderr);
    assert.ok(r.stdoutBytes.length < layer.bytes.length, `${r.stdoutBytes.length} bytes reached stdout`);
  });

  test('a connection cut mid-blob is resumed with Range; the file is whole', async () => {
    proxy.addRule({
      method: 'GET',
      path: /\/blobs\//,
      times: 1,
      action: { kind: 'reset-response', at: 1_500_000 },
    });
    const dir = await makeTempDir('blob-resume');
    const file = join(dir, 'layer');
    const r = await ferry(['blob', `${proxy.host}/${REPO}@${layer.digest}`, file]);
    assert.equal(r.code, 0, r.stderr);
    assert.ok((await readFile(file)).equals(layer.bytes));
    await proxy.idle();
    assert.ok(
      proxy.log.some((e) => e.range === 'bytes=1500000-'),
      'resumed from the cut',
    );
  });

  test('a terminal stdout is refused (exit 2) unless FILE is -', async () => {
    const refused = await ferryOnTty(['blob', `${reg.host}/${REPO}@${config.digest}`]);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /refusing to write a blob to a terminal/);
    assert.equal(refused.stdout.length, 0);
    const forced = await ferryOnTty(['blob', `${reg.host}/${REPO}@${config.digest}`, '-']);
    assert.equal(forced.code, 0, forced.stderr);
    assert.ok(forced.stdout.equals(config.bytes));
  });

  test('usage and absence: no digest is exit 2, an unknown blob exit 1', async () => {
    const noDigest = await ferry(['blob', `${reg.host}/${REPO}:v1`]);
    assert.equal(noDigest.code, 2);
    assert.match(errorLine(noDigest), /REPOSITORY@DIGEST/);
    const unknown = `sha256:${'0'.repeat(64)}`;
    const missing = await ferry(['blob', `${reg.host}/${REPO}@${unknown}`]);
    assert.equal(missing.code, 1);
    assert.match(errorLine(missing), /not found/);
    const rmNothing = await ferry(['blob', 'rm']);
    assert.equal(rmNothing.code, 2);
  });

  describe('blob rm', () => {
    test('deletes the blob: HEAD then answers 404; deleting it again is exit 1', async () => {
      const target = image.platforms[0]!.layers[1]!.digest;
      assert.equal(await headStatus(reg, target), 200);
      const r = await ferry(['blob', 'rm', `${reg.host}/${REPO}@${target}`]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, '');
      assert.match(r.stderr, /deleted blob/);
      assert.equal(await headStatus(reg, target), 404);
      const again = await ferry(['blob', 'delete', `${reg.host}/${REPO}@${target}`]);
      assert.equal(again.code, 1, again.stderr);
      errorLine(again);
    });

    test('deletes disabled: exit 7 with the storage.delete.enabled hint, the blob stays', async () => {
      const r = await ferry(['blob', 'rm', `${noDelete.host}/${REPO}@${config.digest}`]);
      assert.equal(r.code, 7, r.stderr);
      assert.match(errorLine(r), /refuses to delete blobs.*storage\.delete\.enabled/);
      assert.equal(
        (await fetch(`${noDelete.url}/v2/${REPO}/blobs/${config.digest}`, { method: 'HEAD' })).status,
        200,
      );
    });
  });
});
