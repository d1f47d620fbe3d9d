// `ferry artifact push`, `ferry artifact pull` and `ferry attach` against the real registry:
// files round-trip with their bytes and names; a pull refuses hostile artifacts (names with `..`,
// absolute names, duplicates, a file that is also a directory, a path through a symlink, too many
// layers) with one line, before anything is written, and nothing lands outside the directory;
// existing files are not overwritten without --overwrite; a broken blob leaves nothing behind.
// Hostile manifests are written straight to the registry over HTTP, as any client could.
import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { errorLine } from '../harness/fixtures.js';
import { generateImage, sha256 } from '../harness/images.js';
import { orasAccess, orasPush } from '../harness/oras.js';
import { type Registry, startRegistry } from '../harness/registry.js';
import { ferry } from '../harness/run-ferry.js';
import { pushImage } from '../harness/skopeo.js';
import { makeTempDir } from '../harness/tmp.js';

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const EMPTY = { mediaType: 'application/vnd.oci.empty.v1+json', digest: sha256('{}'), size: 2 };
const TITLE = 'org.opencontainers.image.title';

/** A blob straight into the registry (monolithic upload: POST, then PUT with the digest). */
async function putBlob(reg: Registry, repo: string, bytes: Buffer): Promise<string> {
  const digest = sha256(bytes);
  const started = await fetch(`${reg.url}/v2/${repo}/blobs/uploads/`, { method: 'POST' });
  assert.equal(started.status, 202);
  const location = new URL(started.headers.get('location') ?? '', reg.url);
  location.searchParams.set('digest', digest);
  const put = await fetch(location, {
    method: 'PUT',
    body: bytes,
    headers: { 'content-type': 'application/octet-stream' },
  });
  assert.equal(put.status, 201, await put.text());
  return digest;
}

/** An artifact whose layers carry these titles (undefined: no title), straight into the registry. */
async function putArtifact(reg: Registry, ref: string, titles: (string | undefined)[]): Promise<void> {
  const [repo, tag] = ref.split(':') as [string, string];
  await putBlob(reg, repo, Buffer.from('{}'));
  const layers = [];
  for (const [i, title] of titles.entries()) {
    const bytes = Buffer.from(`file ${i}\n`);
    await putBlob(reg, repo, bytes);
    layers.push({
      mediaType: 'text/plain',
      digest: sha256(bytes),
      size: bytes.length,
      ...(title === undefined ? {} : { annotations: { [TITLE]: title } }),
    });
  }
  const manifest = {
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    artifactType: 'application/vnd.test',
    config: EMPTY,
    layers,
  };
  const res = await fetch(`${reg.url}/v2/${repo}/manifests/${tag}`, {
    method: 'PUT',
    body: JSON.stringify(manifest),
    headers: { 'content-type': OCI_MANIFEST },
  });
  assert.equal(res.status, 201, await res.text());
}

/** Every path under `dir`, relative, sorted. */
async function tree(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true });
  return entries.map(String).sort();
}

describe('artifact push, pull and attach', () => {
  let reg: Registry;
  let work: string;

  before(async () => {
    reg = await startRegistry();
    work = await makeTempDir('artifact');
    await writeFile(join(work, 'notes.txt'), 'release notes\n');
    await writeFile(join(work, 'sbom.json'), '{"spdxVersion":"SPDX-2.3"}\n');
  });
  after(() => reg?.stop());

  test('push then pull: the same bytes under the same names; the manifest is an OCI artifact', async () => {
    const pushed = await ferry([
      'artifact',
      'push',
      `${reg.host}/lab/notes:v1`,
      join(work, 'notes.txt:text/plain'),
      join(work, 'sbom.json'),
      '--artifact-type',
      'application/vnd.example.bundle',
      '--annotation',
      'org.example.release=1.0',
      '--json',
    ]);
    assert.equal(pushed.code, 0, pushed.stderr);
    const doc = JSON.parse(pushed.stdout) as {
      digest: string;
      tag: string;
      files: { title: string; mediaType: string }[];
    };
    assert.equal(doc.tag, 'v1');
    assert.deepEqual(
      doc.files.map((f) => [f.title, f.mediaType]),
      [
        ['notes.txt', 'text/plain'],
        ['sbom.json', 'application/octet-stream'],
      ],
    );
    const manifest = JSON.parse((await ferry(['manifest', `${reg.host}/lab/notes:v1`])).stdout);
    assert.deepEqual(manifest.config, EMPTY);
    assert.equal(manifest.artifactType, 'application/vnd.example.bundle');
    assert.deepEqual(manifest.annotations, { 'org.example.release': '1.0' });

    const again = await ferry([
      'artifact',
      'push',
      `${reg.host}/lab/notes:v2`,
      join(work, 'notes.txt:text/plain'),
      join(work, 'sbom.json'),
      '--artifact-type',
      'application/vnd.example.bundle',
      '--annotation',
      'org.example.release=1.0',
      '--format',
      '{{.Digest}}',
    ]);
    assert.equal(again.stdout.trim(), doc.digest, 'the same files give the same digest');

    const out = join(await makeTempDir('artifact-out'), 'here');
    const pulled = await ferry(['artifact', 'pull', `${reg.host}/lab/notes:v1`, '-o', out]);
    assert.equal(pulled.code, 0, pulled.stderr);
    assert.deepEqual(await tree(out), ['notes.txt', 'sbom.json']);
    assert.deepEqual(await readFile(join(out, 'notes.txt')), await readFile(join(work, 'notes.txt')));
    assert.deepEqual(await readFile(join(out, 'sbom.json')), await readFile(join(work, 'sbom.json')));
  });

  test('an existing file is not overwritten without --overwrite, and nothing else is written either', async () => {
    const out = await makeTempDir('artifact-exists');
    await writeFile(join(out, 'sbom.json'), 'mine');
    const r = await ferry(['artifact', 'pull', `${reg.host}/lab/notes:v1`, '-o', out]);
    assert.equal(r.code, 8);
    assert.match(errorLine(r), /sbom\.json exists: not overwritten \(--overwrite replaces it\)/);
    assert.deepEqual(await tree(out), ['sbom.json']);
    assert.equal(await readFile(join(out, 'sbom.json'), 'utf8'), 'mine');
    const forced = await ferry(['artifact', 'pull', `${reg.host}/lab/notes:v1`, '-o', out, '--overwrite']);
    assert.equal(forced.code, 0, forced.stderr);
    assert.deepEqual(await readFile(join(out, 'sbom.json')), await readFile(join(work, 'sbom.json')));
  });

  test('attach and push --subject make referrers of the image', async () => {
    const image = await generateImage({ tag: 'v1', seed: 'artifact-subject', layers: [100] });
    await pushImage(reg, 'lab/app:v1', image);
    const attached = await ferry([
      'attach',
      `${reg.host}/lab/app:v1`,
      join(work, 'sbom.json'),
      '--artifact-type',
      'application/spdx+json',
      '--json',
    ]);
    assert.equal(attached.code, 0, attached.stderr);
    const a = JSON.parse(attached.stdout) as { subject: string; tag: string | null; reference: string };
    assert.equal(a.subject, image.digest);
    assert.equal(a.tag, null);
    assert.match(a.reference, new RegExp(`^${reg.host}/lab/app@sha256:[0-9a-f]{64}$`));
    const pushed = await ferry([
      'artifact',
      'push',
      `${reg.host}/lab/app:notes`,
      join(work, 'notes.txt'),
      '--subject',
      `${reg.host}/lab/app:v1`,
    ]);
    assert.equal(pushed.code, 0, pushed.stderr);
    // Without --json, stdout is the new manifest's digest (as append and mutate print theirs),
    // the one the registry now holds under the tag.
    assert.match(pushed.stdout, /^sha256:[0-9a-f]{64}\n$/);
    const resolved = await ferry(['digest', `${reg.host}/lab/app:notes`]);
    assert.equal(resolved.stdout, pushed.stdout);
    const listed = await ferry(['referrers', '--format', '{{.ArtifactType}}', `${reg.host}/lab/app:v1`]);
    assert.deepEqual(listed.stdout.trim().split('\n').sort(), [
      'application/spdx+json',
      'application/vnd.unknown.artifact.v1',
    ]);
  });

  test('layers without a title are not written, and said so', async () => {
    await putArtifact(reg, 'lab/untitled:v1', ['kept.txt', undefined]);
    const out = await makeTempDir('artifact-untitled');
    const r = await ferry(['artifact', 'pull', `${reg.host}/lab/untitled:v1`, '-o', out]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(await tree(out), ['kept.txt']);
    assert.match(r.stderr, /1 layer without a title \(no file name\) not written/);
  });

  test('a directory oras pushed is written as its archive, and the pull warns that it is not unpacked', async () => {
    await mkdir(join(work, 'docs'), { recursive: true });
    await writeFile(join(work, 'docs', 'readme.md'), '# docs\n');
    await orasPush(`${reg.host}/lab/oras-dir:v1`, ['docs'], orasAccess(reg), { cwd: work });
    const out = await makeTempDir('artifact-oras-dir');
    const r = await ferry(['-q', 'artifact', 'pull', `${reg.host}/lab/oras-dir:v1`, '-o', out]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(await tree(out), ['docs']);
    // The bytes are oras's gzip'd tar, under the directory's name: a pull used to say nothing.
    assert.deepEqual([...(await readFile(join(out, 'docs'))).subarray(0, 2)], [0x1f, 0x8b]);
    assert.match(
      r.stderr,
      /^ferry: warning: docs is a directory oras packed: \S+ is written as its tar\+gzip archive, not unpacked as oras pull would\n$/,
    );
  });

  test('usage errors: one line, exit 2', async () => {
    const cases: [string[], RegExp][] = [
      [
        ['artifact', 'frob', `${reg.host}/x:v1`],
        /^ferry: ferry artifact takes push or pull, not 'frob' \(hint: ferry artifact --help\)$/,
      ],
      [['artifact', 'pull', `${reg.host}/x:v1`, 'file.txt'], /^ferry: too many arguments for 'pull'/],
      [
        ['artifact', 'push', `${reg.host}/x:v1`, join(work, 'notes.txt'), '-o', work],
        /^ferry: unknown option '-o' \(hint: ferry artifact push --help lists the options\)$/,
      ],
      [
        ['artifact', 'pull', `${reg.host}/x:v1`, '--subject', `${reg.host}/x:v0`],
        /^ferry: unknown option '--subject' \(hint: ferry artifact pull --help lists the options\)$/,
      ],
      [
        ['artifact', 'push', `${reg.host}/x@sha256:${'a'.repeat(64)}`, join(work, 'notes.txt')],
        /names a digest/,
      ],
      [['artifact', 'push', `${reg.host}/x:v1`, work], /is a directory/],
      [
        ['artifact', 'push', `${reg.host}/x:v1`, join(work, 'notes.txt'), join(work, 'notes.txt')],
        /two files are named "notes.txt"/,
      ],
      [
        ['artifact', 'push', `${reg.host}/x:v1`, join(work, 'notes.txt'), '--artifact-type', 'nope'],
        /is not a media type/,
      ],
      [
        ['artifact', 'push', `${reg.host}/x:v1`, join(work, 'notes.txt'), '--subject', `${reg.host}/y:v1`],
        /is not in/,
      ],
      [
        ['artifact', 'push', `${reg.host}/x:v1`, join(work, 'notes.txt'), '--annotation', 'novalue'],
        /--annotation must be KEY=VALUE/,
      ],
      [['attach', `${reg.host}/lab/app:v1`, join(work, 'notes.txt')], /attach needs --artifact-type/],
    ];
    for (const [args, message] of cases) {
      const r = await ferry(args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(errorLine(r), message, args.join(' '));
    }
    const missing = await ferry(['artifact', 'push', `${reg.host}/x:v1`, join(work, 'absent.txt')]);
    assert.equal(missing.code, 8, missing.stderr);
    assert.match(errorLine(missing), /absent\.txt: no such file/);
  });
});

describe('artifact pull refuses hostile artifacts, writing nothing', () => {
  let reg: Registry;

  before(async () => {
    reg = await startRegistry();
    await Promise.all([
      putArtifact(reg, 'evil/dotdot:v1', ['ok.txt', '../escaped.txt']),
      putArtifact(reg, 'evil/deep:v1', ['ok.txt', 'a/../../escaped.txt']),
      putArtifact(reg, 'evil/absolute:v1', ['ok.txt', '/tmp/ferry-escaped.txt']),
      putArtifact(reg, 'evil/dup:v1', ['same.txt', './same.txt']),
      putArtifact(reg, 'evil/filedir:v1', ['a', 'a/b']),
      putArtifact(reg, 'evil/link:v1', ['ok.txt', 'sub/escaped.txt']),
      putArtifact(reg, 'evil/control:v1', ['ok.txt', 'bad\u001b[2Jname']),
    ]);
  });
  after(() => reg?.stop());

  /** A fresh output directory inside a parent that is checked for strays. */
  async function outDir(): Promise<{ parent: string; out: string }> {
    const parent = await makeTempDir('artifact-hostile');
    const out = join(parent, 'out');
    await mkdir(out);
    return { parent, out };
  }

  for (const [repo, message] of [
    ['evil/dotdot', /"\.\.\/escaped\.txt": a path out of the directory \(\.\.\); nothing was written/],
    ['evil/deep', /"a\/\.\.\/\.\.\/escaped\.txt": a path out of the directory/],
    ['evil/absolute', /"\/tmp\/ferry-escaped\.txt": an absolute path/],
    ['evil/dup', /names the file "same\.txt" twice/],
    ['evil/filedir', /names "a" as a file and as the directory of "a\/b"/],
    ['evil/control', /a control character in the name/],
  ] as const) {
    test(`${repo}: refused with one line, exit 7, nothing written anywhere`, async () => {
      const { parent, out } = await outDir();
      const r = await ferry(['artifact', 'pull', `${reg.host}/${repo}:v1`, '-o', out]);
      assert.equal(r.code, 7, r.stderr);
      assert.match(errorLine(r), message);
      assert.doesNotMatch(r.stderr, /\u001b/, 'no raw escape sequence reaches the terminal');
      assert.deepEqual(await tree(parent), ['out']);
    });
  }

  test('a path through a symlink is refused (exit 8) and the place it points to is untouched', async () => {
    const { parent, out } = await outDir();
    const elsewhere = await makeTempDir('artifact-elsewhere');
    await symlink(elsewhere, join(out, 'sub'));
    const r = await ferry(['artifact', 'pull', `${reg.host}/evil/link:v1`, '-o', out]);
    assert.equal(r.code, 8, r.stderr);
    assert.match(errorLine(r), /sub is a symlink: refusing to write sub\/escaped\.txt through it/);
    assert.deepEqual(await tree(elsewhere), []);
    assert.deepEqual(await tree(parent), ['out', 'out/sub']);
  });

  test('more layers than an artifact may hold are refused before any blob is fetched', async () => {
    const titles = Array.from({ length: 1001 }, (_, i) => `f${i}`);
    // 1001 distinct blobs would be slow to upload: every layer names the same one.
    const bytes = Buffer.from('same\n');
    await putBlob(reg, 'evil/many', Buffer.from('{}'));
    await putBlob(reg, 'evil/many', bytes);
    const layers = titles.map((t) => ({
      mediaType: 'text/plain',
      digest: sha256(bytes),
      size: bytes.length,
      annotations: { [TITLE]: t },
    }));
    const res = await fetch(`${reg.url}/v2/evil/many/manifests/v1`, {
      method: 'PUT',
      body: JSON.stringify({
        schemaVersion: 2,
        mediaType: OCI_MANIFEST,
        artifactType: 'application/vnd.test',
        config: EMPTY,
        layers,
      }),
      headers: { 'content-type': OCI_MANIFEST },
    });
    assert.equal(res.status, 201);
    const { parent, out } = await outDir();
    const r = await ferry(['artifact', 'pull', `${reg.host}/evil/many:v1`, '-o', out]);
    assert.equal(r.code, 7, r.stderr);
    assert.match(errorLine(r), /has 1001 layers, more than the 1000 ferry writes; nothing was written/);
    assert.deepEqual(await tree(parent), ['out']);
  });

  test('a blob that does not match its digest fails the pull (exit 6) and leaves none of the files', async () => {
    // Through an OCI layout, where a blob can be damaged after the fact.
    const layout = await makeTempDir('artifact-layout');
    const work = await makeTempDir('artifact-work');
    await writeFile(join(work, 'a.txt'), 'first file\n');
    await writeFile(join(work, 'b.txt'), 'second file\n');
    const dir = join(layout, 'art');
    const made = await ferry(['artifact', 'push', `oci:${dir}:v1`, join(work, 'a.txt'), join(work, 'b.txt')]);
    assert.equal(made.code, 0, made.stderr);
    await writeFile(join(dir, 'blobs', 'sha256', sha256('second file\n').slice(7)), 'second fil!\n');
    const { parent, out } = await outDir();
    const r = await ferry(['artifact', 'pull', `oci:${dir}:v1`, '-o', out]);
    assert.equal(r.code, 6, r.stderr);
    errorLine(r);
    assert.deepEqual(await tree(parent), ['out'], 'not even the file that was fine');
  });
});
