// The soak test: twenty consecutive copies of a 256 MiB image between two real registries, each
// through a fault proxy that resets every transfer once at a random offset: every blob and
// manifest download on the source side (resumed with Range), every blob upload and the manifest
// push on the destination side (retried with a fresh upload session). Every copy must finish with
// the source's digest; skopeo then reads the last one whole.
//
// Opt-in (about two minutes, more than half of what the whole suite takes otherwise): `npm run
// test:soak`, or FERRY_SOAK=1 npm test for both in one run. scripts/test.sh leaves test/soak/ out
// of the default run.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { type FaultProxy, startFaultProxy } from '../harness/fault-proxy.js';
import { generateImage, type ImageSummary } from '../harness/images.js';
import { type Registry, startRegistry } from '../harness/registry.js';
import { ferry, ferryBin } from '../harness/run-ferry.js';
import { pushImage, runSkopeo, skopeoInspectConfig } from '../harness/skopeo.js';
import { makeTempDir } from '../harness/tmp.js';

const MIB = 1024 * 1024;
const COPIES = 20;

let source: Registry;
let destination: Registry;
let sourceProxy: FaultProxy;
let destinationProxy: FaultProxy;
let image: ImageSummary;

before(async () => {
  [source, destination] = await Promise.all([startRegistry(), startRegistry()]);
  image = await generateImage({ tag: 'v1', seed: 'soak', layers: [64 * MIB, 64 * MIB, 64 * MIB, 64 * MIB] });
  await pushImage(source, 'lab/big:v1', image);
  [sourceProxy, destinationProxy] = await Promise.all([
    startFaultProxy({ upstream: source.url, seed: 2026 }),
    startFaultProxy({ upstream: destination.url, seed: 1122 }),
  ]);
});

after(async () => {
  await Promise.all([sourceProxy?.close(), destinationProxy?.close()]);
  await Promise.all([source?.stop(), destination?.stop()]);
});

test(`${COPIES} copies of a 256 MiB image through resets at random offsets all arrive intact`, async () => {
  const blobs = 1 + image.platforms[0]!.layers.length;
  let resumed = 0;
  for (let i = 0; i < COPIES; i++) {
    sourceProxy.clearRules();
    sourceProxy.clearLog();
    destinationProxy.clearRules();
    destinationProxy.clearLog();
    // Each download once (a resumed GET of the same path passes), each upload's first attempt.
    const downloads = sourceProxy.addRule({
      method: 'GET',
      path: /\/(blobs|manifests)\//,
      oncePerPath: true,
      action: { kind: 'reset-response', at: 'random' },
    });
    const uploads = destinationProxy.addRule({
      // Each blob's bytes go in the PUT that names its digest (a monolithic upload).
      method: 'PUT',
      path: /\/blobs\/uploads\//,
      times: blobs,
      action: { kind: 'reset-request', at: 'random' },
    });
    const manifestPush = destinationProxy.addRule({
      method: 'PUT',
      path: /\/manifests\//,
      times: 1,
      action: { kind: 'reset-request', at: 'random' },
    });

    const target = `lab/copy-${i}:v1`;
    // The built CLI in its own process: ferry, the proxies and the registries share two cores.
    const r = await ferryBin([
      '--quiet',
      'copy',
      `${sourceProxy.host}/lab/big:v1`,
      `${destinationProxy.host}/${target}`,
    ]);
    assert.equal(r.code, 0, `copy ${i}: ${r.stderr}`);
    assert.equal(r.stderr, '', `copy ${i} is quiet`);

    assert.equal(downloads.hits, blobs + 1, `copy ${i}: every download was reset once`);
    assert.equal(uploads.hits, blobs, `copy ${i}: every upload's first attempt was reset`);
    assert.equal(manifestPush.hits, 1, `copy ${i}: the manifest push was reset`);
    resumed += sourceProxy.log.filter((e) => e.range !== undefined).length;
    // Each blob's one reset download was either resumed with Range, or abandoned because the
    // upload it fed was reset first (the source and the upload move in step), in which case the
    // whole transfer was retried with a fresh download from byte 0.
    for (const layer of image.platforms[0]!.layers) {
      const gets = sourceProxy.log.filter((e) => e.method === 'GET' && e.path.includes(layer.digest));
      const ranged = gets.some((e) => e.range !== undefined);
      assert.ok(
        ranged || gets.length >= 2,
        `copy ${i}: ${layer.digest}'s reset download was resumed or redone (${gets.length} GETs)`,
      );
    }

    const digest = await ferry(['digest', `${destination.host}/${target}`]);
    assert.equal(digest.stdout.trim(), image.digest, `copy ${i} has the source's digest`);
  }
  assert.ok(resumed >= COPIES, `downloads resumed with Range (${resumed} times)`);

  // skopeo reads the last copy back in full, checking every blob's digest.
  const out = join(await makeTempDir('soak'), 'layout');
  await runSkopeo([
    'copy',
    '--src-tls-verify=false',
    `docker://${destination.host}/lab/copy-${COPIES - 1}:v1`,
    `oci:${out}:v1`,
  ]);
  const config = JSON.parse((await skopeoInspectConfig(`oci:${out}:v1`)).toString('utf8'));
  assert.deepEqual(
    config.rootfs.diff_ids,
    image.platforms[0]!.layers.map((l) => l.diffId),
  );
});
