// Ctrl-C in the middle of a transfer: the built CLI, as a child process, gets SIGINT while the
// fault proxy holds a transfer open. ferry must exit 130 with one line, leave no file or temp
// file behind, and cancel the upload sessions it abandons (DELETE on their latest URL), where the
// registry can still cancel them: Distribution cannot once a request body was cut part-way
// (src/registry/upload.ts), so the tests interrupt between requests.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type FaultProxy, startFaultProxy } from '../harness/fault-proxy.js';
import { generateImage, type ImageSummary } from '../harness/images.js';
import { type Registry, startRegistry, uploadsHoldingData } from '../harness/registry.js';
import { baseEnv } from '../harness/run-ferry.js';
import { pushImage } from '../harness/skopeo.js';
import { makeTempDir } from '../harness/tmp.js';
import { waitFor } from '../harness/wait.js';

const BIN = resolve(import.meta.dirname, '../../bin/ferry.js');

/** Starts the CLI, waits until `ready()` says the transfer is in flight, sends SIGINT. */
async function interruptWhen(
  args: string[],
  ready: () => boolean,
): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: baseEnv(),
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) =>
    child.once('exit', (code, signal) => done({ code, signal })),
  );
  await waitFor('the transfer to be in flight', () => ready() || undefined, { timeoutMs: 15_000 });
  child.kill('SIGINT');
  return { ...(await exited), stderr };
}

describe('an interrupted transfer', () => {
  let reg: Registry;
  let proxy: FaultProxy;
  let image: ImageSummary;
  let single: ImageSummary;

  before(async () => {
    reg = await startRegistry();
    image = await generateImage({ tag: 'v1', layers: [2 * 1024 * 1024, 1024 * 1024] });
    single = await generateImage({ tag: 'v1', layers: [2 * 1024 * 1024] });
    await pushImage(reg, 'lab/img:v1', image);
    proxy = await startFaultProxy({ upstream: reg.url });
  });
  after(async () => {
    await proxy?.close();
    await reg?.stop();
  });

  test('pull: exit 130, one line, and no output or temp file left', async () => {
    proxy.clearRules();
    const stall = proxy.addRule({
      method: 'GET',
      path: /\/blobs\/sha256:/,
      action: { kind: 'delay', phase: 'body', at: 65536, ms: 20_000 },
    });
    const dir = await makeTempDir('interrupt-pull');
    const r = await interruptWhen(
      ['pull', `${proxy.host}/lab/img:v1`, join(dir, 'out.tar')],
      () => stall.hits > 0,
    );
    assert.equal(r.code, 130, r.stderr);
    assert.equal(r.stderr, 'ferry: interrupted\n');
    assert.deepEqual(await readdir(dir), [], 'nothing half-written');
  });

  test('push --chunk-size: the session is cancelled with the Location of its last answered PATCH', async () => {
    proxy.clearRules();
    proxy.clearLog();
    // One blob at a time: the config (one PATCH), then the 2 MiB layer in 1 MiB PATCHes. The
    // layer's second PATCH is held at the proxy, so the registry holds 1 MiB of the session and
    // its state is the one signed into the first PATCH's Location. Cancelling with the POST's
    // Location is refused then (404 BLOB_UPLOAD_INVALID) and leaves the session behind.
    const held = proxy.addRule({
      method: 'PATCH',
      path: /\/blobs\/uploads\//,
      skip: 2,
      times: 1,
      action: { kind: 'hold', ms: 20_000 },
    });
    const r = await interruptWhen(
      ['push', '--jobs', '1', '--chunk-size', '1MiB', `oci:${single.dir}:v1`, `${proxy.host}/lab/pushed:v1`],
      () => held.hits > 0,
    );
    assert.equal(r.code, 130, r.stderr);
    assert.equal(r.stderr, 'ferry: interrupted\n');
    const deletes = proxy.log.filter((e) => e.method === 'DELETE' && /\/blobs\/uploads\//.test(e.path));
    assert.deepEqual(
      deletes.map((e) => e.status),
      [204],
      JSON.stringify(proxy.log.map((e) => `${e.method} ${e.path.slice(0, 60)} ${e.status}`)),
    );
    assert.deepEqual(await uploadsHoldingData(reg, 'lab/pushed'), [], 'the registry keeps no upload session');
    assert.ok(
      proxy.log.every((e) => !(e.method === 'PUT' && /\/manifests\//.test(e.path))),
      'no manifest was pushed',
    );
  });

  test('copy: upload sessions opened while the source had not answered are cancelled', async () => {
    proxy.clearRules();
    proxy.clearLog();
    // The source's blob GETs hang before their headers; the destination's sessions (opened at the
    // same time, to save a round trip) have received nothing, so they can be cancelled. The
    // destination is reached through a proxy of its own, to know when ferry has every session's
    // Location (the registry logs a POST before the answer has reached ferry).
    const destination = await startFaultProxy({ upstream: reg.url });
    try {
      const stall = proxy.addRule({
        method: 'GET',
        path: /\/blobs\/sha256:/,
        action: { kind: 'delay', ms: 20_000 },
      });
      const sessions = () =>
        destination.log.filter((e) => e.method === 'POST' && e.done && /\/blobs\/uploads\//.test(e.path));
      const r = await interruptWhen(
        ['copy', `${proxy.host}/lab/img:v1`, `${destination.host}/lab/copied:v1`],
        () => stall.hits > 0 && sessions().length === 3,
      );
      assert.equal(r.code, 130, r.stderr);
      assert.equal(r.stderr, 'ferry: interrupted\n');
      const cancels = destination.log.filter(
        (e) => e.method === 'DELETE' && /\/blobs\/uploads\//.test(e.path),
      );
      assert.deepEqual(
        cancels.map((e) => e.status),
        [204, 204, 204],
        'every session opened (config and two layers) was cancelled',
      );
      assert.deepEqual(await uploadsHoldingData(reg, 'lab/copied'), []);
    } finally {
      await destination.close();
    }
  });
});
