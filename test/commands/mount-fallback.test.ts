/**
 * Cross-repository mount when the named source repository lacks the blob: Distribution answers
 * 202 with an ordinary upload session (shared/lab/LAB.md §5). ferry must report "not mounted",
 * cancel that session, and a normal upload must then succeed. Run against the real registry
 * through the same RegistryClient the CLI builds.
 */
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { after, before, test } from 'node:test';
import { Context, DEFAULT_GLOBALS } from '../../src/context.js';
import { digestOf } from '../../src/digest/index.js';
import { blobExists } from '../../src/registry/blobs.js';
import { mountBlob, uploadBlob } from '../../src/registry/upload.js';
import { type Registry, startRegistry } from '../harness/registry.js';
import { baseEnv } from '../harness/run-ferry.js';

let reg: Registry;
before(async () => {
  reg = await startRegistry('anonymous');
});
after(async () => {
  await reg.stop();
});

test('mount from a repository without the blob falls back to an upload', async () => {
  const io = { stdout: process.stdout, stderr: process.stderr, stdin: Readable.from([]), env: baseEnv() };
  const ctx = new Context(io, { ...DEFAULT_GLOBALS, quiet: true, color: false, retries: 0 });
  try {
    const client = ctx.client(reg.host);
    const data = Buffer.from(`mount-fallback ${Date.now()}`);
    const descriptor = { mediaType: 'application/octet-stream', digest: digestOf(data), size: data.length };
    const target = {
      client,
      repository: 'lab/dest',
      scopes: ['repository:lab/dest:pull,push', 'repository:lab/empty:pull'],
    };

    assert.equal(await mountBlob(target, descriptor.digest, 'lab/empty'), false);
    // The registry logs a request just after answering it: wait for the cancel to show up.
    await reg.waitForLog(/"DELETE \/v2\/lab\/dest\/blobs\/uploads\//);
    const requests = reg.requests();
    const mount = requests.find((r) => r.method === 'POST' && r.uri.includes('mount='));
    assert.equal(mount?.status, 202, 'the registry opened a plain upload session instead of mounting');
    assert.ok(
      requests.some(
        (r) => r.method === 'DELETE' && r.path.startsWith('/v2/lab/dest/blobs/uploads/') && r.status === 204,
      ),
      'the unused session is cancelled',
    );

    assert.equal(await blobExists(client, 'lab/dest', descriptor, target.scopes), false);
    await uploadBlob(target, Readable.from([data]), { digest: descriptor.digest, size: descriptor.size });
    assert.equal(await blobExists(client, 'lab/dest', descriptor, target.scopes), true);
  } finally {
    await ctx.close();
  }
});
