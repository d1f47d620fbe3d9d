// Referrers travel with `ferry copy -r`, with oras as the referee: oras attaches an SBOM to an
// image and a signature to the SBOM on one registry; ferry copies the image with -r to another;
// there oras discovers the same tree and pulls the same bytes. Distribution 2.8 has no referrers
// API, so this is the referrers-tag path (GHCR's, Docker Hub's); the API path runs through the
// referrers proxy (test/harness/referrers-proxy.ts) in front of the same kind of registry.
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { generateImage, type ImageSummary } from '../harness/images.js';
import {
  orasAccess,
  orasAttach,
  orasCopy,
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

describe('artifacts: ferry writes, oras reads; oras writes, ferry reads', () => {
  let reg: Registry;
  let work: string;

  before(async () => {
    reg = await startRegistry();
    work = await makeTempDir('artifact-interop');
    await writeFile(join(work, 'notes.txt'), 'notes for oras\n');
    await writeFile(join(work, 'sbom.json'), '{"bomFormat":"CycloneDX"}\n');
  });
  after(() => reg?.stop());

  test('ferry artifact push and ferry attach: oras pulls the same files, oras discover finds the referrer', async () => {
    const pushed = await ferry([
      'artifact',
      'push',
      `${reg.host}/lab/bundle:v1`,
      join(work, 'notes.txt:text/plain'),
      join(work, 'sbom.json'),
      '--artifact-type',
      'application/vnd.example.bundle',
      '--format',
      '{{.Digest}}',
    ]);
    assert.equal(pushed.code, 0, pushed.stderr);
    const out = await makeTempDir('oras-pulled');
    await orasPull([`${reg.host}/lab/bundle:v1`], out, orasAccess(reg));
    for (const name of ['notes.txt', 'sbom.json'])
      assert.deepEqual(await readFile(join(out, name)), await readFile(join(work, name)), name);

    const attached = await ferry([
      'attach',
      `${reg.host}/lab/bundle:v1`,
      join(work, 'sbom.json'),
      '--artifact-type',
      SBOM,
      '--format',
      '{{.Digest}}',
    ]);
    assert.equal(attached.code, 0, attached.stderr);
    const found = await orasDiscover([`${reg.host}/lab/bundle:v1`], orasAccess(reg));
    assert.equal(found.digest, pushed.stdout.trim());
    assert.deepEqual(treeLines(found.referrers), [`${SBOM} ${attached.stdout.trim()}`]);
  });

  test('oras push: ferry artifact pull writes the same files, nested names included', async () => {
    await mkdir(join(work, 'docs'), { recursive: true });
    await writeFile(join(work, 'docs', 'readme.md'), '# nested\n');
    const pushed = await orasPush(
      `${reg.host}/lab/from-oras:v1`,
      ['notes.txt', 'docs/readme.md:text/markdown'],
      orasAccess(reg),
      {
        cwd: work,
        artifactType: 'application/vnd.example.docs',
      },
    );
    const out = await makeTempDir('ferry-pulled');
    const r = await ferry(['artifact', 'pull', `${reg.host}/lab/from-oras:v1`, '-o', out, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout) as { digest: string; artifactType: string; files: { title: string }[] };
    assert.equal(doc.digest, pushed.digest);
    assert.equal(doc.artifactType, 'application/vnd.example.docs');
    assert.deepEqual(
      doc.files.map((f) => f.title),
      ['notes.txt', 'docs/readme.md'],
    );
    assert.deepEqual(await readFile(join(out, 'notes.txt')), await readFile(join(work, 'notes.txt')));
    assert.deepEqual(
      await readFile(join(out, 'docs', 'readme.md')),
      await readFile(join(work, 'docs', 'readme.md')),
    );
  });
});

describe('referrers through OCI layouts, as `oras cp --to-oci-layout -r` keeps them', () => {
  let src: Registry;
  let dst: Registry;
  let image: ImageSummary;
  let attached: Attached;

  before(async () => {
    [src, dst] = await Promise.all([startRegistry(), startRegistry()]);
    image = await generateImage({ tag: 'v1', seed: 'referrers-layout', layers: [250] });
    attached = await seed(src, src.host, 'lab/app', image);
  });
  after(async () => {
    await Promise.all([src?.stop(), dst?.stop()]);
  });

  test('pull -r --format oci-dir: oras discover finds the tree in the layout', async () => {
    const dir = join(await makeTempDir('layout-pull'), 'app');
    const r = await ferry(['pull', '-r', '--format', 'oci-dir', `${src.host}/lab/app:v1`, dir]);
    assert.equal(r.code, 0, r.stderr);
    const found = await orasDiscover(['--oci-layout', `${dir}:v1`], []);
    assert.equal(found.digest, image.digest);
    assert.deepEqual(treeLines(found.referrers), expectedTree(attached));
    const listed = await ferry(['referrers', '--tree', '--format', '{{.Digest}}', `oci:${dir}:v1`]);
    assert.deepEqual(listed.stdout.trim().split('\n'), [attached.sbom, attached.sig]);
  });

  test('oras cp --to-oci-layout -r, then ferry push -r: oras discover finds the tree on the registry', async () => {
    const dir = join(await makeTempDir('layout-oras'), 'app');
    await orasCopy(['-r', '--from-plain-http', `${src.host}/lab/app:v1`, '--to-oci-layout', `${dir}:v1`]);
    const r = await ferry(['push', '-r', `${dir}:v1`, `${dst.host}/from-layout/app:v1`]);
    assert.equal(r.code, 0, r.stderr);
    const found = await orasDiscover([`${dst.host}/from-layout/app:v1`], orasAccess(dst));
    assert.deepEqual(treeLines(found.referrers), expectedTree(attached));
  });

  test('an OCI tarball carries them too: pull -r --format oci, then push -r', async () => {
    const file = join(await makeTempDir('layout-tar'), 'app.tar');
    const pulled = await ferry(['pull', '-r', '--format', 'oci', `${src.host}/lab/app:v1`, file]);
    assert.equal(pulled.code, 0, pulled.stderr);
    const pushed = await ferry(['push', '-r', `${file}:v1`, `${dst.host}/from-tar/app:v1`]);
    assert.equal(pushed.code, 0, pushed.stderr);
    const found = await orasDiscover([`${dst.host}/from-tar/app:v1`], orasAccess(dst));
    assert.deepEqual(treeLines(found.referrers), expectedTree(attached));
    const out = await makeTempDir('layout-tar-pull');
    await orasPull([`${dst.host}/from-tar/app@${attached.sig}`], out, orasAccess(dst));
    assert.deepEqual(await readFile(join(out, 'app.sig')), await readFile(join(attached.files, 'app.sig')));
  });
});
