// Referrers travel with `ferry copy -r`, with oras as the referee: oras attaches an SBOM to an
// image and a signature to the SBOM on one registry; ferry copies the image with -r to another;
// there oras discovers the same tree and pulls the same bytes. Distribution 2.8 has no referrers
// API, so this is the referrers-tag path (GHCR's, Docker Hub's); the API path runs through the
// referrers proxy (test/harness/referrers-proxy.ts) in front of the same kind of registry.
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { generateImage, type ImageSummary } from '../harness/images.js';
import {
  type OrasReferrer,
  orasAccess,
  orasAttach,
  orasDiscover,
  orasPull,
  orasPush,
  orasTags,
  treeLines,
} from '../harness/oras.js';
import { type ReferrersProxy, startReferrersProxy } from '../harness/referrers-proxy.js';
import { type Registry, startRegistry } from '../harness/registry.js';
import { ferry } from '../harness/run-ferry.js';
import { pushImage } from '../harness/skopeo.js';
import { makeTempDir } from '../harness/tmp.js';

const SBOM = 'application/spdx+json';
const SIG = 'application/vnd.example.signature.v1';

interface Attached {
  sbom: string;
  sig: string;
  files: string;
}

/** Pushes `image` as REPO:v1 to `host` and attaches an SBOM to it and a signature to the SBOM, with oras. */
async function seed(registry: Registry, host: string, repo: string, image: ImageSummary): Promise<Attached> {
  await pushImage(registry, `${repo}:v1`, image);
  const files = await makeTempDir('referrers-files');
  await writeFile(join(files, 'sbom.spdx.json'), '{"spdxVersion":"SPDX-2.3","name":"app"}\n');
  await writeFile(join(files, 'app.sig'), 'signature over the sbom\n');
  const access = orasAccess(registry);
  const sbom = await orasAttach(`${host}/${repo}:v1`, ['sbom.spdx.json'], SBOM, access, { cwd: files });
  const sig = await orasAttach(`${host}/${repo}@${sbom.digest}`, ['app.sig'], SIG, access, { cwd: files });
  return { sbom: sbom.digest, sig: sig.digest, files };
}

const expectedTree = (a: Attached): string[] => [`${SBOM} ${a.sbom}`, `  ${SIG} ${a.sig}`];

describe('copy -r between registries without the referrers API (the referrers tag)', () => {
  let src: Registry;
  let dst: Registry;
  let image: ImageSummary;
  let attached: Attached;

  before(async () => {
    [src, dst] = await Promise.all([startRegistry(), startRegistry()]);
    image = await generateImage({ tag: 'v1', seed: 'referrers-oras', layers: [300, 200] });
    attached = await seed(src, src.host, 'lab/app', image);
  });
  after(async () => {
    await Promise.all([src?.stop(), dst?.stop()]);
  });

  test('oras finds the same tree at the destination, and pulls the same bytes', async () => {
    const r = await ferry(['copy', '-r', `${src.host}/lab/app:v1`, `${dst.host}/mirror/app:v1`]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /2 referrers with it/);
    const found = await orasDiscover([`${dst.host}/mirror/app:v1`], orasAccess(dst));
    assert.equal(found.digest, image.digest);
    assert.deepEqual(treeLines(found.referrers), expectedTree(attached));
    const out = await makeTempDir('oras-pull');
    await orasPull([`${dst.host}/mirror/app@${attached.sbom}`], out, orasAccess(dst));
    assert.deepEqual(
      await readFile(join(out, 'sbom.spdx.json')),
      await readFile(join(attached.files, 'sbom.spdx.json')),
    );
  });

  test('without -r, the closing line says how many were left behind', async () => {
    const r = await ferry(['copy', `${src.host}/lab/app:v1`, `${dst.host}/plain/app:v1`]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stderr,
      /note: 1 referrer \(signatures, SBOMs, attestations\) left behind: -r copies them/,
    );
    const found = await orasDiscover([`${dst.host}/plain/app:v1`], orasAccess(dst));
    assert.deepEqual(found.referrers, []);
  });
});

describe('copy -r from and to a registry with the referrers API (through the referrers proxy)', () => {
  let src: Registry;
  let dst: Registry;
  let srcProxy: ReferrersProxy;
  let dstProxy: ReferrersProxy;
  let attached: Attached;
  let image: ImageSummary;

  before(async () => {
    [src, dst] = await Promise.all([startRegistry(), startRegistry()]);
    [srcProxy, dstProxy] = await Promise.all([
      startReferrersProxy({ registry: src, mode: 'api', pageSize: 1 }),
      startReferrersProxy({ registry: dst, mode: 'api' }),
    ]);
    image = await generateImage({ tag: 'v1', seed: 'referrers-oras-api', layers: [300] });
    attached = await seed(src, srcProxy.host, 'lab/app', image);
  });
  after(async () => {
    await Promise.all([srcProxy?.close(), dstProxy?.close()]);
    await Promise.all([src?.stop(), dst?.stop()]);
  });

  test('oras kept no referrers tag (it saw OCI-Subject), and ferry writes none either', async () => {
    assert.deepEqual(await orasTags(`${src.host}/lab/app`, orasAccess(src)), ['v1']);
    const r = await ferry(['copy', '-r', `${srcProxy.host}/lab/app:v1`, `${dstProxy.host}/mirror/app:v1`]);
    assert.equal(r.code, 0, r.stderr);
    const found = await orasDiscover([`${dstProxy.host}/mirror/app:v1`], orasAccess(dst));
    assert.equal(found.digest, image.digest);
    assert.deepEqual(treeLines(found.referrers), expectedTree(attached));
    assert.deepEqual(
      await orasTags(`${dst.host}/mirror/app`, orasAccess(dst)),
      ['v1'],
      'no sha256-… tag at a destination with the API',
    );
    assert.ok(
      dstProxy.log.every((e) => !(e.method === 'PUT' && /manifests\/sha256-/.test(e.path))),
      'no referrers tag written',
    );
  });
});

void orasPush;
void ({} as OrasReferrer);
