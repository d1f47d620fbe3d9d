// Ctrl-C in the middle of a transfer: the built CLI, as a child process, gets SIGINT while the
// fault proxy holds a transfer open. ferry must exit 130 with one line, leave no file or temp
// file behind, and cancel the upload session it abandons (DELETE on its URL).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type FaultProxy, startFaultProxy } from '../harness/fault-proxy.js';
import { generateImage, type ImageSummary } from '../harness/images.js';
import { type Registry, startRegistry } from '../harness/registry.js';
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

  before(async () => {
    reg = await startRegistry();
    image = await generateImage({ tag: 'v1', layers: [2 * 1024 * 1024, 1024 * 1024] });
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

  test('push: the abandoned upload session is cancelled', async () => {
    proxy.clearRules();
    proxy.clearLog();
    // The registry has taken the PATCH; its answer is held, so ferry is mid-upload.
    const held = proxy.addRule({
      method: 'PATCH',
      path: /\/blobs\/uploads\//,
      action: { kind: 'delay', ms: 20_000 },
    });
    const r = await interruptWhen(
      ['push', `oci:${image.dir}:v1`, `${proxy.host}/lab/pushed:v1`],
      () => held.hits > 0,
    );
    assert.equal(r.code, 130, r.stderr);
    assert.equal(r.stderr, 'ferry: interrupted\n');
    const deletes = proxy.log.filter((e) => e.method === 'DELETE' && /\/blobs\/uploads\//.test(e.path));
    assert.ok(deletes.length >= 1, 'a DELETE went to the abandoned upload session');
    assert.ok(
      proxy.log.every((e) => !(e.method === 'PUT' && /\/manifests\//.test(e.path))),
      'no manifest was pushed',
    );
  });
});
