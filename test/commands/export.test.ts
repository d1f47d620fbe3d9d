// `ferry export` against a real registry, with crane export as the referee: the same file list and
// the same content for every regular file, over gzip and zstd layers with whiteouts, an opaque
// directory, symlinks and hard links; a hard link whose target an upper layer replaced keeps the
// content it was made to; each layer is fetched once; `-` writes to stdout and refuses a terminal.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import tar from 'tar-stream';
import { main } from '../../src/cli.js';
import { cranePush, runCrane } from '../harness/crane.js';
import { errorLine, requestsDuring } from '../harness/fixtures.js';
import { generateImage, type ImageSummary, pseudoRandomBytes, sha256 } from '../harness/images.js';
import { gzipLayer, type LayerBlob, tarOf, type WrittenImage, writeImage } from '../harness/layouts.js';
import { type Registry, startRegistry } from '../harness/registry.js';
import { baseEnv, ferry } from '../harness/run-ferry.js';
import { pushImage } from '../harness/skopeo.js';
import { makeTempDir } from '../harness/tmp.js';

interface Entry {
  type: string;
  linkname?: string;
  content?: Buffer;
}

/** A tar's entries by normalised name (no './', no trailing '/'), with file contents. */
function readTar(bytes: Buffer): Promise<Map<string, Entry>> {
  const out = new Map<string, Entry>();
  const extract = tar.extract();
  return new Promise((done, fail) => {
    extract.on('entry', (header, stream, next) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const name = header.name.replace(/^\.?\//, '').replace(/\/$/, '');
        out.set(name, {
          type: header.type ?? 'file',
          ...(header.linkname ? { linkname: header.linkname.replace(/^\.?\//, '') } : {}),
          ...(header.type === 'file' ? { content: Buffer.concat(chunks) } : {}),
        });
        next();
      });
    });
    extract.on('finish', () => done(out));
    extract.on('error', fail);
    extract.end(bytes);
  });
}

const zstdLayer = (tarBytes: Buffer): LayerBlob => ({
  bytes: execFileSync('zstd', ['-q', '-c'], { input: tarBytes }),
  mediaType: 'application/vnd.oci.image.layer.v1.tar+zstd',
  diffId: sha256(tarBytes),
});

describe('ferry export', () => {
  let reg: Registry;
  let layered: WrittenImage;
  let multi: ImageSummary;
  const tool = pseudoRandomBytes('export-tool', 5000);

  before(async () => {
    reg = await startRegistry('anonymous');
    const bottom = await tarOf([
      { name: 'etc/', type: 'directory' },
      { name: 'etc/passwd', content: 'root:x:0:0\n' },
      { name: 'etc/hosts', content: '127.0.0.1 localhost\n' },
      { name: 'etc/alias', type: 'symlink', linkname: 'hosts' },
      { name: 'usr/', type: 'directory' },
      { name: 'usr/bin/', type: 'directory' },
      { name: 'usr/bin/tool', content: tool, mode: 0o755 },
      { name: 'usr/bin/tool-link', type: 'link', linkname: 'usr/bin/tool' },
      { name: 'var/', type: 'directory' },
      { name: 'var/cache/', type: 'directory' },
      { name: 'var/cache/a', content: 'a' },
      { name: 'var/cache/b', content: 'b' },
      { name: 'tmp/', type: 'directory' },
      { name: 'tmp/gone/', type: 'directory' },
      { name: 'tmp/gone/file', content: 'gone' },
    ]);
    const middle = await tarOf([
      { name: 'etc/.wh.hosts', content: '' },
      { name: 'etc/passwd', content: 'root:x:0:0\nuser:x:1000:1000\n' },
      { name: 'var/cache/c', content: 'c' },
      { name: 'tmp/.wh.gone', content: '' },
      { name: 'opt/', type: 'directory' },
      { name: 'opt/readme', content: pseudoRandomBytes('export-readme', 3000) },
    ]);
    const top = await tarOf([{ name: 'usr/bin/new', content: 'new tool', mode: 0o755 }]);
    layered = await writeImage({
      tag: 'v1',
      layers: [gzipLayer(bottom), zstdLayer(middle), gzipLayer(top)],
      config: { architecture: 'amd64', os: 'linux' },
    });
    await cranePush(layered.dir, `${reg.host}/app/layered:v1`);
    multi = await generateImage({
      tag: 'v1',
      seed: 'export-multi',
      layers: [300, 200],
      platforms: ['linux/amd64', 'linux/arm64'],
    });
    await pushImage(reg, 'app/multi:v1', multi);
  });
  after(() => reg?.stop());

  test('the same files and contents as crane export, over gzip and zstd layers; each layer fetched once', async () => {
    const file = join(await makeTempDir('export'), 'rootfs.tar');
    const { value: r, requests } = await requestsDuring(reg, () =>
      ferry(['export', `${reg.host}/app/layered:v1`, file]),
    );
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '');
    const ours = await readTar(await readFile(file));
    const theirs = await readTar(await runCrane(['export', `${reg.host}/app/layered:v1`, '-']));
    assert.deepEqual([...ours.keys()].sort(), [...theirs.keys()].sort(), 'the same file list');
    for (const [name, entry] of theirs) {
      if (entry.type !== 'file') continue;
      assert.ok(ours.get(name)?.content?.equals(entry.content!), `${name}: the same content`);
    }
    assert.deepEqual(
      [...ours.keys()].sort(),
      [
        'etc',
        'etc/alias',
        'etc/passwd',
        'opt',
        'opt/readme',
        'tmp',
        'usr',
        'usr/bin',
        'usr/bin/new',
        'usr/bin/tool',
        'usr/bin/tool-link',
        'var',
        'var/cache',
        'var/cache/a',
        'var/cache/b',
        'var/cache/c',
      ],
      'whiteouts applied',
    );
    assert.equal(ours.get('etc/passwd')?.content?.toString(), 'root:x:0:0\nuser:x:1000:1000\n');
    assert.deepEqual(ours.get('usr/bin/tool-link'), { type: 'link', linkname: 'usr/bin/tool' });
    assert.deepEqual(ours.get('etc/alias'), { type: 'symlink', linkname: 'hosts' });
    for (const layer of layered.layers) {
      const gets = requests.filter((q) => q.method === 'GET' && q.path.endsWith(layer.digest));
      assert.equal(gets.length, 1, `${layer.digest} fetched once`);
    }
  });

  // Both wrong in crane 0.20.7: it ignores opaque whiteouts (google/go-containerregistry#1623) and
  // points such links at the new file (#2002). What the image spec says is checked instead.
  test('an opaque directory hides what lower layers put in it; a hard link whose target was replaced keeps its content', async () => {
    const image = await writeImage({
      tag: 'v1',
      layers: [
        gzipLayer(
          await tarOf([
            { name: 'bin/tool', content: 'version 1' },
            { name: 'bin/tool-v1', type: 'link', linkname: 'bin/tool' },
            { name: 'bin/also-v1', type: 'link', linkname: 'bin/tool' },
            { name: 'cache/', type: 'directory' },
            { name: 'cache/old', content: 'old' },
          ]),
        ),
        zstdLayer(
          await tarOf([
            { name: 'bin/tool', content: 'version 2' },
            { name: 'cache/.wh..wh..opq', content: '' },
            { name: 'cache/new', content: 'new' },
          ]),
        ),
      ],
      config: { architecture: 'amd64', os: 'linux' },
    });
    await cranePush(image.dir, `${reg.host}/app/links:v1`);
    const r = await ferry(['export', `${reg.host}/app/links:v1`, '-']);
    assert.equal(r.code, 0, r.stderr);
    const out = await readTar(r.stdoutBytes);
    assert.deepEqual([...out.keys()].sort(), [
      'bin/also-v1',
      'bin/tool',
      'bin/tool-v1',
      'cache',
      'cache/new',
    ]);
    assert.equal(out.get('bin/tool')?.content?.toString(), 'version 2');
    assert.equal(out.get('bin/tool-v1')?.content?.toString(), 'version 1');
    assert.deepEqual(out.get('bin/also-v1'), { type: 'link', linkname: 'bin/tool-v1' });
  });

  test('--platform picks an image of an index', async () => {
    const r = await ferry(['export', '--platform', 'linux/arm64', `${reg.host}/app/multi:v1`, '-']);
    assert.equal(r.code, 0, r.stderr);
    const out = await readTar(r.stdoutBytes);
    const arm = multi.platforms[1]!;
    assert.ok(
      out
        .get('ferry/layer-0.bin')
        ?.content?.equals(pseudoRandomBytes(`export-multi/${arm.platform}/0/300`, 300)),
    );
    assert.ok(
      out
        .get('ferry/layer-1.bin')
        ?.content?.equals(pseudoRandomBytes(`export-multi/${arm.platform}/1/200`, 200)),
    );
  });

  test('- refuses a terminal; an artifact has no filesystem; an absent image is not found', async () => {
    const stdout = new (class extends Writable {
      isTTY = true;
      written = 0;
      override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
        this.written += chunk.length;
        done();
      }
    })();
    const stderr = new PassThrough();
    const chunks: Buffer[] = [];
    stderr.on('data', (c: Buffer) => chunks.push(c));
    const code = await main(['export', `${reg.host}/app/layered:v1`, '-'], {
      stdout,
      stderr,
      stdin: new PassThrough().end(),
      env: baseEnv(),
    });
    assert.equal(code, 2);
    assert.match(Buffer.concat(chunks).toString(), /^ferry: refusing to write a tar to a terminal/);
    assert.equal(stdout.written, 0);

    const artifact = await writeImage({
      tag: 'v1',
      layers: [{ bytes: Buffer.from('{}'), mediaType: 'application/vnd.example.data', diffId: '' }],
      config: {},
      configMediaType: 'application/vnd.example.config.v1+json',
    });
    await cranePush(artifact.dir, `${reg.host}/app/artifact:v1`);
    const dir = await makeTempDir('export-bad');
    const art = await ferry(['export', `${reg.host}/app/artifact:v1`, join(dir, 'a.tar')]);
    assert.equal(art.code, 2);
    assert.match(errorLine(art), /is an artifact/);
    const missing = await ferry(['export', `${reg.host}/app/none:v1`, join(dir, 'b.tar')]);
    assert.equal(missing.code, 1);
    errorLine(missing);
    const { readdir } = await import('node:fs/promises');
    assert.deepEqual(await readdir(dir), [], 'no file left behind');
  });
  test("a layer whose names climb out with '..' is refused (exit 7) before anything is written", async () => {
    const dir = await makeTempDir('export-escape');
    for (const [tag, entries] of [
      [
        'name',
        [
          { name: 'etc/', type: 'directory' as const },
          { name: 'etc/../../cron.d/x', content: 'evil' },
        ],
      ],
      [
        'link',
        [
          { name: 'etc/passwd', content: 'root' },
          { name: 'etc/p2', type: 'link' as const, linkname: '../../etc/shadow' },
        ],
      ],
    ] as const) {
      const image = await writeImage({
        tag: 'v1',
        layers: [gzipLayer(await tarOf([...entries]))],
        config: { architecture: 'amd64', os: 'linux' },
      });
      await cranePush(image.dir, `${reg.host}/app/escape:${tag}`);
      const out = join(dir, `${tag}.tar`);
      const result = await ferry(['export', `${reg.host}/app/escape:${tag}`, out]);
      assert.equal(result.code, 7, result.stderr);
      assert.match(errorLine(result), /has a '\.\.' component, which would escape the root/);
    }
    const { readdir } = await import('node:fs/promises');
    assert.deepEqual(await readdir(dir), [], 'no file left behind');
    // A symlink pointing up is ordinary (lib -> ../usr/lib) and is kept.
    const image = await writeImage({
      tag: 'v1',
      layers: [gzipLayer(await tarOf([{ name: 'a/lib', type: 'symlink', linkname: '../usr/lib' }]))],
      config: { architecture: 'amd64', os: 'linux' },
    });
    await cranePush(image.dir, `${reg.host}/app/escape:symlink`);
    const ok = await ferry(['export', `${reg.host}/app/escape:symlink`, join(dir, 'ok.tar')]);
    assert.equal(ok.code, 0, ok.stderr);
    const entries = await readTar(await readFile(join(dir, 'ok.tar')));
    assert.equal(entries.get('a/lib')?.linkname, '../usr/lib');
  });
});
