import assert from 'node:assert/strict';
import { open, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import tar from 'tar-stream';
import { scanTar } from '../../../src/store/tar-index.js';
import { makeTempDir, removeTempDir } from '../../harness/tmp.js';

let dir: string;
let counter = 0;

before(async () => {
  dir = await makeTempDir('tar-index');
});
after(async () => {
  await removeTempDir(dir);
});

async function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function writeTemp(bytes: Buffer): Promise<string> {
  const file = join(dir, `t${counter++}.tar`);
  await writeFile(file, bytes);
  return file;
}

type Entry = tar.Headers & { body?: Buffer };

/** A tar written by tar-stream (what peers and ferry itself write). */
async function packed(entries: Entry[]): Promise<Buffer> {
  const pack = tar.pack();
  const out = collect(pack);
  for (const { body, ...header } of entries) pack.entry(header, body ?? Buffer.alloc(0));
  pack.finalize();
  return out;
}

interface RawHeader {
  name: string;
  type?: string;
  size?: number;
  linkname?: string;
  /** Raw 12-byte size field (e.g. base-256), overriding `size`. */
  sizeField?: Buffer;
  prefix?: string;
  gnu?: boolean;
  badChecksum?: boolean;
}

/** One 512-byte header block, built by hand for the cases tar-stream would never write. */
function header(h: RawHeader): Buffer {
  const block = Buffer.alloc(512);
  block.write(h.name, 0, 100, 'utf8');
  block.write('0000644\0', 100, 'latin1');
  block.write('0000000\0', 108, 'latin1');
  block.write('0000000\0', 116, 'latin1');
  if (h.sizeField) h.sizeField.copy(block, 124);
  else block.write(`${(h.size ?? 0).toString(8).padStart(11, '0')}\0`, 124, 'latin1');
  block.write('14567145670\0', 136, 'latin1');
  block.write(h.type ?? '0', 156, 'latin1');
  if (h.linkname) block.write(h.linkname, 157, 100, 'utf8');
  block.write(h.gnu ? 'ustar  \0' : 'ustar\x0000', 257, 'latin1');
  if (h.prefix) block.write(h.prefix, 345, 155, 'utf8');
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 0x20 : (block[i] as number);
  if (h.badChecksum) sum += 1;
  block.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  return block;
}

const pad = (data: Buffer): Buffer => Buffer.concat([data, Buffer.alloc((512 - (data.length % 512)) % 512)]);
const member = (h: RawHeader, data = Buffer.alloc(0)): Buffer =>
  Buffer.concat([header({ ...h, size: h.size ?? data.length }), pad(data)]);
const END = Buffer.alloc(1024);

function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  let length = body.length + 1;
  while (String(length).length + body.length !== length) length++;
  return `${length}${body}`;
}

async function rejectsInvalid(bytes: Buffer, pattern: RegExp): Promise<void> {
  const file = await writeTemp(bytes);
  await assert.rejects(scanTar(file), (err: Error & { code?: string }) => {
    assert.equal(err.code, 'E_INVALID_CONTENT');
    assert.match(err.message, pattern);
    assert.ok(err.message.includes(file), 'the message names the file');
    assert.ok(!err.message.includes('\n'), 'one line');
    return true;
  });
}

describe('tar-index', () => {
  test('indexes files written by tar-stream and streams their byte ranges', async () => {
    const long = `blobs/sha256/${'d'.repeat(150)}`; // too long for ustar: tar-stream writes a pax header
    const file = await writeTemp(
      await packed([
        { name: './', type: 'directory' },
        { name: './index.json', body: Buffer.from('{"a":1}') },
        { name: 'blobs/', type: 'directory' },
        { name: 'blobs/sha256/abc', body: Buffer.alloc(1000, 7) },
        { name: long, body: Buffer.from('long name') },
        { name: 'empty', body: Buffer.alloc(0) },
        { name: 'id/layer.tar', type: 'symlink', linkname: '../blobs/sha256/abc' },
        { name: 'hard', type: 'link', linkname: 'index.json' },
      ]),
    );
    const index = await scanTar(file);
    assert.deepEqual(index.names(), [
      'index.json',
      'blobs/sha256/abc',
      long,
      'empty',
      'id/layer.tar',
      'hard',
    ]);
    assert.deepEqual(await collect(index.open('index.json')), Buffer.from('{"a":1}'));
    assert.deepEqual(await collect(index.open('./blobs//sha256/abc')), Buffer.alloc(1000, 7));
    assert.deepEqual(await collect(index.open(long)), Buffer.from('long name'));
    assert.deepEqual(await collect(index.open('empty')), Buffer.alloc(0));
    assert.deepEqual(await collect(index.open('id/layer.tar')), Buffer.alloc(1000, 7));
    assert.deepEqual(await index.read('hard', 100), Buffer.from('{"a":1}'));
    assert.equal(index.member('id/layer.tar')?.target, 'blobs/sha256/abc');
    assert.equal(index.resolve('id/layer.tar')?.name, 'blobs/sha256/abc');
    assert.equal(index.resolve('nope'), undefined);
    assert.throws(() => index.open('nope'), { code: 'E_NOT_FOUND' });
    await assert.rejects(index.read('blobs/sha256/abc', 999), { code: 'E_INVALID_CONTENT' });
  });

  test('pax path and size records override the ustar fields', async () => {
    const pax = Buffer.from(
      paxRecord('path', `deep/${'p'.repeat(200)}`) + paxRecord('size', '5') + paxRecord('mtime', '1.5'),
    );
    const bytes = Buffer.concat([
      member({ name: 'PaxHeader', type: 'x' }, pax),
      member({ name: 'short', size: 0 }).subarray(0, 512), // ustar size 0, pax says 5
      pad(Buffer.from('hello')),
      member({ name: 'g', type: 'g' }, Buffer.from(paxRecord('comment', 'global, skipped'))),
      END,
    ]);
    const index = await scanTar(await writeTemp(bytes));
    assert.deepEqual(index.names(), [`deep/${'p'.repeat(200)}`]);
    assert.deepEqual(await index.read(`deep/${'p'.repeat(200)}`, 10), Buffer.from('hello'));
  });

  test('GNU long names (L, K) and ustar prefixes', async () => {
    const longName = `${'n'.repeat(120)}/file`;
    const longTarget = `${'t'.repeat(120)}/target`;
    const bytes = Buffer.concat([
      member({ name: '././@LongLink', type: 'L', gnu: true }, Buffer.from(`${longName}\0`)),
      member({ name: 'truncated-name', gnu: true }, Buffer.from('gnu')),
      member({ name: 'file', prefix: 'some/prefix' }, Buffer.from('prefixed')),
      member({ name: '././@LongLink', type: 'K', gnu: true }, Buffer.from(longTarget)),
      member({ name: 'link', type: '2', linkname: 'short', gnu: true }),
      END,
    ]);
    const index = await scanTar(await writeTemp(bytes));
    assert.deepEqual(index.names(), [longName, 'some/prefix/file', 'link']);
    assert.deepEqual(await index.read(longName, 10), Buffer.from('gnu'));
    assert.deepEqual(await index.read('some/prefix/file', 10), Buffer.from('prefixed'));
    assert.equal(index.member('link')?.target, longTarget);
  });

  test('base-256 sizes: a 9 GiB member in a sparse file is indexed without reading it', async () => {
    const size = 9 * 1024 ** 3 + 3;
    const field = Buffer.alloc(12);
    field[0] = 0x80;
    field.writeUIntBE(size, 6, 6);
    const file = await writeTemp(Buffer.concat([header({ name: 'big', sizeField: field })]));
    const handle = await open(file, 'r+');
    const dataEnd = 512 + Math.ceil(size / 512) * 512;
    await handle.write(member({ name: 'after' }, Buffer.from('tail')), 0, 1024, dataEnd);
    await handle.truncate(dataEnd + 1024 + 1024);
    await handle.close();
    const index = await scanTar(file);
    assert.deepEqual(index.member('big'), { name: 'big', type: 'file', offset: 512, size });
    assert.deepEqual(await index.read('after', 10), Buffer.from('tail'));
  });

  test('an archive without end-of-archive blocks is accepted', async () => {
    const index = await scanTar(await writeTemp(member({ name: 'a' }, Buffer.from('x'))));
    assert.deepEqual(await index.read('a', 1), Buffer.from('x'));
  });

  test('refuses ../ paths', () =>
    rejectsInvalid(Buffer.concat([member({ name: '../x' }, Buffer.from('x')), END]), /'\.\.'/));
  test('refuses a/../../ paths', () =>
    rejectsInvalid(Buffer.concat([member({ name: 'a/../../x' }), END]), /'\.\.'/));
  test('refuses .. hidden in a pax path', () =>
    rejectsInvalid(
      Buffer.concat([
        member({ name: 'P', type: 'x' }, Buffer.from(paxRecord('path', 'ok/../../x'))),
        member({ name: 'ok' }),
        END,
      ]),
      /'\.\.'/,
    ));
  test('refuses absolute paths', () =>
    rejectsInvalid(Buffer.concat([member({ name: '/etc/x' }, Buffer.from('x')), END]), /absolute/));
  test('refuses .. in a directory entry too', () =>
    rejectsInvalid(Buffer.concat([member({ name: '../d/', type: '5' }), END]), /'\.\.'/));
  test('refuses a symlink to ../../x', () =>
    rejectsInvalid(
      Buffer.concat([member({ name: 'a/link', type: '2', linkname: '../../x' }), END]),
      /outside the archive/,
    ));
  test('refuses an absolute symlink', () =>
    rejectsInvalid(
      Buffer.concat([member({ name: 'link', type: '2', linkname: '/etc/passwd' }), END]),
      /absolute/,
    ));
  test('refuses a hard link to ../x', () =>
    rejectsInvalid(Buffer.concat([member({ name: 'link', type: '1', linkname: '../x' }), END]), /'\.\.'/));
  test('refuses duplicate names (./a and a)', () =>
    rejectsInvalid(
      Buffer.concat([
        member({ name: './a' }, Buffer.from('1')),
        member({ name: 'a' }, Buffer.from('2')),
        END,
      ]),
      /duplicate entry a/,
    ));
  test('refuses data past the end of the file', () =>
    rejectsInvalid(member({ name: 'a', size: 4096 }, Buffer.from('short')), /truncated/));
  test('refuses a header cut short', () =>
    rejectsInvalid(
      Buffer.concat([member({ name: 'a' }, Buffer.from('x')), header({ name: 'b' }).subarray(0, 100)]),
      /truncated/,
    ));
  test('refuses a bad header checksum', () =>
    rejectsInvalid(
      Buffer.concat([member({ name: 'a', badChecksum: true }, Buffer.from('x')), END]),
      /checksum/,
    ));
  test('refuses a negative base-256 size', () =>
    rejectsInvalid(
      Buffer.concat([header({ name: 'a', sizeField: Buffer.alloc(12, 0xff) }), END]),
      /negative/,
    ));
  test('refuses a malformed pax record', () =>
    rejectsInvalid(
      Buffer.concat([
        member({ name: 'P', type: 'x' }, Buffer.from('99 path=x\n')),
        member({ name: 'a' }),
        END,
      ]),
      /pax/,
    ));

  test('a dangling or looping link fails when opened, not when scanned', async () => {
    const index = await scanTar(
      await writeTemp(
        Buffer.concat([
          member({ name: 'dangling', type: '2', linkname: 'missing' }),
          member({ name: 'loop1', type: '2', linkname: 'loop2' }),
          member({ name: 'loop2', type: '2', linkname: 'loop1' }),
          END,
        ]),
      ),
    );
    assert.throws(() => index.open('dangling'), { code: 'E_INVALID_CONTENT' });
    assert.throws(() => index.open('loop1'), { code: 'E_INVALID_CONTENT' });
  });

  test('a missing file is a LocalError', async () => {
    await assert.rejects(scanTar(join(dir, 'no-such.tar')), { code: 'E_LOCAL' });
  });
});
