/**
 * Properties of the tar and docker-archive readers (src/store/tar-index.ts, tar-header.ts,
 * docker-archive-source.ts). An archive is a file anyone can hand ferry: whatever its bytes,
 * scanning it, opening it as a docker-archive and streaming every blob must end in a typed
 * FerryError or a valid image, and never hang. A well-formed archive, in every layout peers write,
 * must give exactly the image it holds.
 *
 * Archives are generated: valid images (classic `docker save`, skopeo, Docker 25+, crane; plain or
 * gzip'd layers; `./` names; layers reached through symlinks), then damaged at the entry level
 * (manifest.json and config edited or replaced, entries added, renamed, turned into links, dropped,
 * duplicated) and at the byte level (truncated, header bytes flipped, size fields rewritten, raw pax
 * and GNU headers inserted, garbage appended).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import tar from 'tar-stream';
import { InvalidContentError } from '../../../src/errors.js';
import { parseManifest } from '../../../src/image/manifest.js';
import { MediaType } from '../../../src/image/media-types.js';
import { openDockerArchiveSource } from '../../../src/store/docker-archive.js';
import { scanTar } from '../../../src/store/tar-index.js';
import {
  DEEP,
  type Edit,
  editedJson,
  editOf,
  hostileValue,
  runs,
  spliceMarkers,
  typedAsync,
  withinTime,
} from './support.js';

const DOCKER_LAYER_TAR = 'application/vnd.docker.image.rootfs.diff.tar';
const sha256 = (data: Uint8Array | string): string =>
  `sha256:${createHash('sha256').update(data).digest('hex')}`;
const hex = (digest: string): string => digest.slice('sha256:'.length);

let dir: string;
let counter = 0;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ferry-property-archive-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function drain(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

// ---- tar writing -----------------------------------------------------------------------------

interface Entry {
  name: string;
  type: 'file' | 'symlink' | 'link' | 'directory';
  linkname?: string | undefined;
  body?: Uint8Array | undefined;
}

/** A tar as tar-stream (what peers and ferry write) makes it: pax headers for long names included. */
async function pack(entries: readonly Entry[]): Promise<Buffer> {
  const p = tar.pack();
  const out = drain(p as unknown as Readable);
  const mtime = new Date(0);
  for (const e of entries) {
    if (e.type === 'file') p.entry({ name: e.name, mtime }, Buffer.from(e.body ?? new Uint8Array()));
    else if (e.type === 'directory') p.entry({ name: e.name, type: 'directory', mtime });
    else p.entry({ name: e.name, type: e.type, linkname: e.linkname ?? '', mtime });
  }
  p.finalize();
  return out;
}

interface RawHeader {
  name: string | Uint8Array;
  type: string;
  size: number;
  /** Raw 12-byte size field (base-256, garbage), overriding `size`. */
  sizeField?: Uint8Array | undefined;
  linkname?: string | undefined;
  prefix?: string | undefined;
  gnu?: boolean | undefined;
  badChecksum?: boolean | undefined;
}

function setChecksum(block: Buffer, bad = false): void {
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 0x20 : block[i]!;
  block.write(`${(sum + (bad ? 1 : 0)).toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
}

/** One 512-byte header, written by hand for what tar-stream would never write. */
function rawHeader(h: RawHeader): Buffer {
  const block = Buffer.alloc(512);
  if (typeof h.name === 'string') block.write(h.name, 0, 100, 'utf8');
  else Buffer.from(h.name.subarray(0, 100)).copy(block, 0);
  block.write('0000644\0', 100, 'latin1');
  block.write('0000000\0', 108, 'latin1');
  block.write('0000000\0', 116, 'latin1');
  if (h.sizeField) Buffer.from(h.sizeField.subarray(0, 12)).copy(block, 124);
  else block.write(`${h.size.toString(8).padStart(11, '0')}\0`, 124, 'latin1');
  block.write('00000000000\0', 136, 'latin1');
  block.write(h.type.slice(0, 1), 156, 'latin1');
  if (h.linkname) block.write(h.linkname, 157, 100, 'utf8');
  block.write(h.gnu ? 'ustar  \0' : 'ustar\x0000', 257, 'latin1');
  if (h.prefix) block.write(h.prefix, 345, 155, 'utf8');
  setChecksum(block, h.badChecksum);
  return block;
}

const padded = (data: Uint8Array): Buffer =>
  Buffer.concat([data, Buffer.alloc((512 - (data.length % 512)) % 512)]);

/** A member written by hand: header plus data padded to a block. */
const rawMember = (
  h: Omit<RawHeader, 'size'> & { size?: number },
  data: Uint8Array = new Uint8Array(),
): Buffer => Buffer.concat([rawHeader({ ...h, size: h.size ?? data.length }), padded(data)]);

/** A pax record, "<len> <key>=<value>\n" with len counting itself. */
function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  const n = Buffer.byteLength(body);
  for (let digits = 1; ; digits++) if (String(n + digits).length === digits) return `${n + digits}${body}`;
}

/** Where each header block of a tar (as our own writers make it) starts. */
function headerOffsets(buf: Buffer): number[] {
  const out: number[] = [];
  let pos = 0;
  while (pos + 512 <= buf.length) {
    const block = buf.subarray(pos, pos + 512);
    if (block.every((b) => b === 0)) break;
    out.push(pos);
    const size = Number.parseInt(
      block.subarray(124, 136).toString('latin1').replace(/\0.*$/s, '').trim() || '0',
      8,
    );
    pos += 512 + Math.ceil((Number.isFinite(size) ? size : 0) / 512) * 512;
  }
  return out;
}

// ---- valid images ----------------------------------------------------------------------------

type Layout = 'classic' | 'skopeo' | 'docker25' | 'crane';

interface ImageSpec {
  layers: { files: [string, Uint8Array][]; gzip: boolean }[];
  layout: Layout;
  repoTags: string[];
  /** `./` before every name, as some writers do. */
  dotSlash: boolean;
  /** manifest.json names a symlink to the layer (skopeo's `<id>/layer.tar`) rather than the file. */
  viaLink: boolean;
  /** manifest.json as the last member rather than the first. */
  manifestLast: boolean;
  /** The config as `config.json`, a name that claims no digest (so a changed config is still read). */
  plainConfig: boolean;
}

const imageSpec: fc.Arbitrary<ImageSpec> = fc.record(
  {
    layers: fc.array(
      fc.record(
        {
          files: fc.array(
            fc.tuple(fc.stringMatching(/^f[a-z0-9]{0,8}$/), fc.uint8Array({ maxLength: 700 })),
            {
              minLength: 1,
              maxLength: 3,
            },
          ),
          gzip: fc.boolean(),
        },
        { noNullPrototype: true },
      ),
      { maxLength: 3 },
    ),
    layout: fc.constantFrom<Layout>('classic', 'skopeo', 'docker25', 'crane'),
    repoTags: fc.array(
      fc.constantFrom('lab/x:v1', 'alpine:latest', 'docker.io/library/alpine:3', 'h.io:5000/a/b:t'),
      {
        maxLength: 2,
      },
    ),
    dotSlash: fc.boolean(),
    viaLink: fc.boolean(),
    manifestLast: fc.boolean(),
    plainConfig: fc.boolean(),
  },
  { noNullPrototype: true },
);

interface Expected {
  config: { mediaType: string; digest: string; size: number };
  layers: { mediaType: string; digest: string; size: number }[];
}

interface Built {
  entries: Entry[];
  manifest: { Config: string; RepoTags: string[]; Layers: string[] }[];
  config: { architecture: string; os: string; rootfs: { type: string; diff_ids: string[] } };
  expected: Expected;
}

/** The layer's own tar: the files, written by hand (a header per file, then two zero blocks). */
function layerTar(files: [string, Uint8Array][]): Buffer {
  const seen = new Set<string>();
  const members = files.filter(([n]) => !seen.has(n) && seen.add(n));
  return Buffer.concat([
    ...members.map(([name, data]) => rawMember({ name, type: '0' }, data)),
    Buffer.alloc(1024),
  ]);
}

/** The entries of an archive holding one image, in `spec.layout`, and the image it must read as. */
function buildImage(spec: ImageSpec): Built {
  const dot = spec.dotSlash ? './' : '';
  const entries: Entry[] = [];
  const file = (name: string, body: Uint8Array) => entries.push({ name: dot + name, type: 'file', body });
  const seen = new Set<string>();
  const layers = spec.layers
    .map((l) => {
      const plain = layerTar(l.files);
      const stored = l.gzip ? gzipSync(plain) : plain;
      return { plain, stored, gzip: l.gzip, diffId: sha256(plain), digest: sha256(stored) };
    })
    // Two identical layers would be one file: keep each once, as docker save does.
    .filter((l) => !seen.has(l.diffId) && seen.add(l.diffId));
  const config = {
    architecture: 'amd64',
    os: 'linux',
    rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
  };
  const configBytes = Buffer.from(JSON.stringify(config));
  const configDigest = sha256(configBytes);
  const layerNames: string[] = [];
  let configName: string;
  switch (spec.layout) {
    case 'classic':
      configName = `${hex(configDigest)}.json`;
      file(configName, configBytes);
      layers.forEach((l, i) => {
        const id = hex(sha256(`id${i}${l.diffId}`));
        entries.push({ name: `${dot}${id}/`, type: 'directory' });
        file(`${id}/VERSION`, Buffer.from('1.0'));
        file(`${id}/layer.tar`, l.stored);
        layerNames.push(`${id}/layer.tar`);
      });
      break;
    case 'skopeo':
      configName = `${hex(configDigest)}.json`;
      file(configName, configBytes);
      layers.forEach((l, i) => {
        const id = hex(sha256(`id${i}${l.diffId}`));
        file(`${hex(l.diffId)}.tar`, l.stored);
        entries.push({ name: `${dot}${id}/layer.tar`, type: 'symlink', linkname: `../${hex(l.diffId)}.tar` });
        layerNames.push(spec.viaLink ? `${id}/layer.tar` : `${hex(l.diffId)}.tar`);
      });
      break;
    case 'docker25':
      configName = `blobs/sha256/${hex(configDigest)}`;
      file(configName, configBytes);
      for (const l of layers) {
        file(`blobs/sha256/${hex(l.digest)}`, l.stored);
        layerNames.push(`blobs/sha256/${hex(l.digest)}`);
      }
      file('oci-layout', Buffer.from('{"imageLayoutVersion":"1.0.0"}'));
      file('index.json', Buffer.from('{"schemaVersion":2,"manifests":[]}'));
      break;
    case 'crane':
      configName = `sha256:${hex(configDigest)}`;
      file(configName, configBytes);
      for (const l of layers) {
        const name = `${hex(l.digest)}${l.gzip ? '.tar.gz' : '.tar'}`;
        file(name, l.stored);
        if (spec.viaLink) {
          entries.push({ name: `${dot}links/${name}`, type: 'link', linkname: dot + name });
          layerNames.push(`links/${name}`);
        } else layerNames.push(name);
      }
      break;
  }
  if (spec.plainConfig) {
    const entry = entries.find((e) => e.name === dot + configName)!;
    configName = 'config.json';
    entry.name = dot + configName;
  }
  const manifest = [{ Config: configName, RepoTags: spec.repoTags, Layers: layerNames }];
  const manifestEntry: Entry = {
    name: `${dot}manifest.json`,
    type: 'file',
    body: Buffer.from(JSON.stringify(manifest)),
  };
  if (spec.manifestLast) entries.push(manifestEntry);
  else entries.unshift(manifestEntry);
  return {
    entries,
    manifest,
    config,
    expected: {
      config: { mediaType: MediaType.dockerConfig, digest: configDigest, size: configBytes.length },
      layers: layers.map((l) =>
        l.gzip
          ? { mediaType: MediaType.dockerLayerGzip, digest: l.digest, size: l.stored.length }
          : { mediaType: DOCKER_LAYER_TAR, digest: l.diffId, size: l.plain.length },
      ),
    },
  };
}

// ---- damage ----------------------------------------------------------------------------------

const hostileName = fc.oneof(
  fc.constantFrom(
    'manifest.json',
    './manifest.json',
    '/manifest.json',
    '../manifest.json',
    'a/../manifest.json',
    '',
    '.',
    './',
    '//',
    'a//b',
    '..',
    '../',
    'a/./b',
    'blobs/sha256/',
    'index.json',
    'oci-layout',
    'é.json',
    'a\u0000b',
    'x'.repeat(99),
    'x'.repeat(100),
    'x'.repeat(101),
    `${'d/'.repeat(60)}f`,
    `${'a'.repeat(120)}/${'b'.repeat(120)}`,
    `sha256:${'a'.repeat(64)}`,
  ),
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.string({ unit: fc.constantFrom('a', '/', '.', '..', 'manifest.json'), maxLength: 8 }),
);

/** A name, or (number) the name of the n-th entry of the archive. */
const nameOrRef = fc.oneof(hostileName, fc.nat());

type EntryDamage =
  | { kind: 'manifest'; edits: Edit[]; depth: number; count: number }
  | { kind: 'manifest-text'; text: string }
  | { kind: 'config'; edits: Edit[]; depth: number; count: number }
  | { kind: 'config-text'; text: string }
  | { kind: 'add'; name: string; type: Entry['type']; target: string | number; body: Uint8Array }
  | { kind: 'rename'; at: number; name: string }
  | { kind: 'link'; at: number; type: 'symlink' | 'link'; target: string | number }
  | { kind: 'directory'; at: number }
  | { kind: 'body'; at: number; body: Uint8Array }
  | { kind: 'drop'; at: number }
  | { kind: 'duplicate'; at: number };

/** Values for manifest.json fields: hostile values, and names that exist, escape or loop. */
const manifestValue = fc.oneof(hostileValue, hostileName, fc.array(hostileName, { maxLength: 3 }));
const manifestEdit = editOf(
  manifestValue,
  fc.constantFrom('Config', 'RepoTags', 'Layers', 'Parent', 'LayerSources'),
);
const configEdit = editOf(
  fc.oneof(
    hostileValue,
    fc.constantFrom(`sha512:${'a'.repeat(128)}`, `sha256:${'a'.repeat(64)}`),
    fc.array(fc.constantFrom(`sha256:${'0'.repeat(64)}`, `sha512:${'0'.repeat(128)}`), { maxLength: 4 }),
  ),
  fc.constantFrom('rootfs', 'diff_ids', 'type', 'os', 'architecture'),
);
const depth = fc.integer({ min: 1000, max: 100_000 });
const count = fc.integer({ min: 100, max: 5000 });
const anyText = fc.oneof(
  fc.jsonValue().map((v) => JSON.stringify(v)),
  fc.string({ unit: 'binary', maxLength: 100 }),
  fc.constantFrom('', '[]', '[{}]', '{}', 'null', '[null]', `[${'{"Config":"x","Layers":[]},'.repeat(3)}{}]`),
);
const at = fc.nat();

const entryDamage: fc.Arbitrary<EntryDamage> = fc.oneof(
  fc.record({
    kind: fc.constant('manifest' as const),
    edits: fc.array(manifestEdit, { minLength: 1, maxLength: 3 }),
    depth,
    count,
  }),
  fc.record({ kind: fc.constant('manifest-text' as const), text: anyText }),
  fc.record({
    kind: fc.constant('config' as const),
    edits: fc.array(configEdit, { minLength: 1, maxLength: 3 }),
    depth,
    count,
  }),
  fc.record({ kind: fc.constant('config-text' as const), text: anyText }),
  fc.record({
    kind: fc.constant('add' as const),
    name: hostileName,
    type: fc.constantFrom<Entry['type']>('file', 'symlink', 'link', 'directory'),
    target: nameOrRef,
    body: fc.uint8Array({ maxLength: 600 }),
  }),
  fc.record({ kind: fc.constant('rename' as const), at, name: hostileName }),
  fc.record({
    kind: fc.constant('link' as const),
    at,
    type: fc.constantFrom<'symlink' | 'link'>('symlink', 'link'),
    target: nameOrRef,
  }),
  fc.record({ kind: fc.constant('directory' as const), at }),
  fc.record({
    kind: fc.constant('body' as const),
    at,
    body: fc.oneof(
      fc.uint8Array({ maxLength: 600 }),
      // Compressed layers ferry does not read, and a gzip stream cut short.
      fc.constantFrom(
        Uint8Array.from([0x28, 0xb5, 0x2f, 0xfd, 0, 0]),
        Uint8Array.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]),
        Uint8Array.from(Buffer.from('BZh91AY&SY')),
        Uint8Array.from([0x1f, 0x8b]),
        new Uint8Array(),
      ),
    ),
  }),
  fc.record({ kind: fc.constant('drop' as const), at }),
  fc.record({ kind: fc.constant('duplicate' as const), at }),
);

/** Applies entry damage to a built image; the entries are copied, not changed. */
function damageEntries(built: Built, damage: readonly EntryDamage[]): Entry[] {
  const entries = built.entries.map((e) => ({ ...e }));
  const pick = (n: number) => entries[n % Math.max(entries.length, 1)];
  const nameOf = (t: string | number) => (typeof t === 'number' ? (pick(t)?.name ?? '') : t);
  const isManifest = (e: Entry) => /(^|\/)manifest\.json$/.test(e.name) && e.type === 'file';
  const isConfig = (e: Entry) => e.name.replace(/^\.\//, '') === built.manifest[0]!.Config;
  const hugeItem = { Config: 'x', RepoTags: ['a:b'], Layers: ['x'] };
  for (const d of damage) {
    switch (d.kind) {
      case 'manifest':
      case 'manifest-text': {
        const text =
          d.kind === 'manifest' ? editedJson(built.manifest, d.edits, d.depth, d.count, hugeItem) : d.text;
        for (const e of entries) if (isManifest(e)) e.body = Buffer.from(text);
        break;
      }
      case 'config':
      case 'config-text': {
        const text =
          d.kind === 'config'
            ? editedJson(built.config, d.edits, d.depth, d.count, `sha256:${'a'.repeat(64)}`)
            : d.text;
        for (const e of entries) if (isConfig(e)) e.body = Buffer.from(text);
        break;
      }
      case 'add':
        entries.push({ name: d.name, type: d.type, linkname: nameOf(d.target), body: d.body });
        break;
      case 'rename':
        if (pick(d.at)) pick(d.at)!.name = d.name;
        break;
      case 'link': {
        const e = pick(d.at);
        if (e) Object.assign(e, { type: d.type, linkname: nameOf(d.target), body: undefined });
        break;
      }
      case 'directory': {
        const e = pick(d.at);
        if (e) Object.assign(e, { type: 'directory', body: undefined });
        break;
      }
      case 'body': {
        const e = pick(d.at);
        if (e?.type === 'file') e.body = d.body;
        break;
      }
      case 'drop':
        if (entries.length > 0) entries.splice(d.at % entries.length, 1);
        break;
      case 'duplicate': {
        const e = pick(d.at);
        if (e) entries.push({ ...e });
        break;
      }
    }
  }
  return entries;
}

/** Raw blocks to insert before a member: pax and GNU extended headers, odd typeflags, bad checksums. */
const paxValue = fc.oneof(
  hostileName,
  fc.constantFrom(
    '0',
    '-1',
    'abc',
    '1e3',
    ' 12',
    '',
    '99999999999999999999',
    String(2 ** 53),
    '512',
    '1048577',
  ),
);
const paxRecords = fc.array(
  fc.oneof(
    fc
      .tuple(
        fc.constantFrom('path', 'linkpath', 'size', 'mtime', 'uid', 'comment', 'GNU.sparse.size'),
        paxValue,
      )
      .map(([k, v]) => paxRecord(k, v)),
    // malformed: wrong length, no '=', no length, no newline, absurd length
    fc.constantFrom(
      '5 a=b\n',
      'x path=a\n',
      '10 nokey\n',
      '99999999999999999999 path=a\n',
      '3 \n',
      '0 path=\n',
      '7 a=b',
      ' 6 a=b\n',
      '\0',
    ),
  ),
  { maxLength: 4 },
);
const rawBlocks: fc.Arbitrary<Buffer> = fc.oneof(
  fc.tuple(fc.constantFrom('x', 'g'), paxRecords).map(([type, records]) => {
    const data = Buffer.from(records.join(''));
    return rawMember({ name: 'PaxHeader', type }, data);
  }),
  fc
    .tuple(fc.constantFrom('L', 'K'), hostileName)
    .map(([type, name]) => rawMember({ name: '././@LongLink', type }, Buffer.from(`${name}\0`))),
  fc
    .record(
      {
        name: fc.oneof(hostileName, fc.uint8Array({ minLength: 1, maxLength: 100 })),
        type: fc.constantFrom(
          '0',
          '\0',
          '1',
          '2',
          '3',
          '5',
          '6',
          '7',
          'x',
          'g',
          'L',
          'K',
          'S',
          'V',
          'Z',
          '\u00ff',
        ),
        linkname: fc.option(hostileName, { nil: undefined }),
        prefix: fc.option(hostileName, { nil: undefined }),
        gnu: fc.boolean(),
        badChecksum: fc.oneof(
          { weight: 6, arbitrary: fc.constant(false) },
          { weight: 1, arbitrary: fc.constant(true) },
        ),
        data: fc.uint8Array({ maxLength: 1100 }),
        sizeField: fc.option(
          fc.oneof(
            fc.uint8Array({ minLength: 12, maxLength: 12 }),
            fc.constantFrom(
              Uint8Array.from([0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10, 0]), // base-256, fits
              Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]), // negative
              Uint8Array.from([0x80, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]), // huge
              Uint8Array.from(Buffer.from('77777777777\0')), // 8 GiB
              Uint8Array.from(Buffer.from('0000000001x\0')),
              Uint8Array.from(Buffer.from('           \0')),
            ),
          ),
          { nil: undefined },
        ),
      },
      { noNullPrototype: true },
    )
    .map(({ data, ...h }) => rawMember(h, data)),
);

/** Mostly a header whose checksum is right again, so that the reader looks past it. */
const fixChecksum = fc.oneof(
  { weight: 4, arbitrary: fc.constant(true) },
  { weight: 1, arbitrary: fc.constant(false) },
);

type ByteDamage =
  | { kind: 'truncate'; at: number }
  | { kind: 'flip'; header: number; offset: number; xor: number; fix: boolean }
  | { kind: 'size'; header: number; field: Uint8Array; fix: boolean }
  | { kind: 'insert'; header: number; blocks: Buffer }
  | { kind: 'tail'; bytes: Uint8Array }
  | { kind: 'strip-end' };

const byteDamage: fc.Arbitrary<ByteDamage> = fc.oneof(
  fc.record({ kind: fc.constant('truncate' as const), at }),
  fc.record({
    kind: fc.constant('flip' as const),
    header: at,
    offset: fc.oneof(fc.integer({ min: 0, max: 511 }), fc.integer({ min: 124, max: 160 })),
    xor: fc.integer({ min: 1, max: 255 }),
    fix: fixChecksum,
  }),
  fc.record({
    kind: fc.constant('size' as const),
    header: at,
    field: fc.oneof(
      fc.uint8Array({ minLength: 12, maxLength: 12 }),
      fc
        .nat({ max: 1 << 20 })
        .map((n) => Uint8Array.from(Buffer.from(`${n.toString(8).padStart(11, '0')}\0`))),
    ),
    fix: fixChecksum,
  }),
  fc.record({ kind: fc.constant('insert' as const), header: at, blocks: rawBlocks }),
  fc.record({ kind: fc.constant('tail' as const), bytes: fc.uint8Array({ minLength: 1, maxLength: 1500 }) }),
  fc.constant({ kind: 'strip-end' as const }),
);

function damageBytes(tarBytes: Buffer, damage: readonly ByteDamage[]): Buffer {
  let buf = Buffer.from(tarBytes);
  for (const d of damage) {
    const headers = headerOffsets(buf);
    const header = (n: number) => (headers.length === 0 ? undefined : headers[n % headers.length]);
    switch (d.kind) {
      case 'truncate':
        buf = buf.subarray(0, d.at % (buf.length + 1));
        break;
      case 'flip': {
        const h = header(d.header);
        if (h === undefined) break;
        buf[h + d.offset] = (buf[h + d.offset] ?? 0) ^ d.xor;
        if (d.fix) setChecksum(buf.subarray(h, h + 512));
        break;
      }
      case 'size': {
        const h = header(d.header);
        if (h === undefined) break;
        Buffer.from(d.field).copy(buf, h + 124);
        if (d.fix) setChecksum(buf.subarray(h, h + 512));
        break;
      }
      case 'insert': {
        const h = header(d.header) ?? 0;
        buf = Buffer.concat([buf.subarray(0, h), d.blocks, buf.subarray(h)]);
        break;
      }
      case 'tail':
        buf = Buffer.concat([buf, d.bytes]);
        break;
      case 'strip-end': {
        let end = buf.length;
        while (end >= 512 && buf.subarray(end - 512, end).every((b) => b === 0)) end -= 512;
        buf = buf.subarray(0, end);
        break;
      }
    }
  }
  return buf;
}

/** None (half the time, so each kind of damage is also seen alone) or 1 to `max`. */
const someOf = <T>(arb: fc.Arbitrary<T>, max: number): fc.Arbitrary<T[]> =>
  fc.oneof(fc.constant<T[]>([]), fc.array(arb, { minLength: 1, maxLength: max }));

// ---- reading ---------------------------------------------------------------------------------

async function writeTemp(bytes: Uint8Array): Promise<string> {
  const file = join(dir, `a${counter++}.tar`);
  await writeFile(file, bytes);
  return file;
}

/** Every member of the tar, read and streamed; only FerryErrors may come out. */
/** A member name as the index must keep it: relative, no empty, `.` or `..` component. */
function assertContained(name: string, what: string): void {
  assert.ok(!name.startsWith('/'), `${what} ${JSON.stringify(name)} is absolute`);
  for (const part of name.split('/')) {
    assert.ok(
      !['', '.', '..'].includes(part) || name === '',
      `${what} ${JSON.stringify(name)} is not normalised`,
    );
  }
}

/**
 * Every member of the tar, read and streamed; only FerryErrors may come out. Whatever the index
 * accepted stays inside the archive: names and link targets are relative and normalised.
 */
async function readTarIndex(file: string): Promise<void> {
  const index = await typedAsync(() => scanTar(file));
  if (!index.ok) return;
  for (const name of index.value.names()) {
    assertContained(name, 'member');
    const member = index.value.member(name)!;
    if (member.target !== undefined) assertContained(member.target, `target of ${name}`);
    await typedAsync(() => index.value.read(name, 1 << 20));
    await typedAsync(async () => drain(index.value.open(name)));
  }
}

type Opened =
  | { ok: true; root: Buffer; config: Expected['config']; layers: Expected['layers']; blobs: Buffer[] }
  | { ok: false };

/**
 * Opens the archive as a docker-archive and streams every blob. Only FerryErrors may come out; when
 * the whole image reads, it must be consistent: the root manifest is what its descriptor says, a
 * Docker v2 manifest, and every blob matches its descriptor.
 */
async function readArchive(file: string, ref?: string): Promise<Opened> {
  const opened = await typedAsync(() => openDockerArchiveSource(file, ref));
  if (!opened.ok) return { ok: false };
  const source = opened.value;
  try {
    const root = await source.root();
    assert.equal(root.descriptor.digest, sha256(root.bytes));
    assert.equal(root.descriptor.size, root.bytes.length);
    assert.deepEqual(await source.manifest(root.descriptor), root.bytes);
    const parsed = parseManifest(root.bytes, root.descriptor.mediaType);
    assert.equal(parsed.kind, 'image');
    if (parsed.kind !== 'image') return { ok: false };
    const { config, layers } = parsed.manifest;
    const blobs: Buffer[] = [];
    for (const d of [config, ...layers]) {
      const got = await typedAsync(async () => drain(await source.blob(d)));
      if (!got.ok) return { ok: false };
      assert.equal(sha256(got.value), d.digest, `blob ${d.digest} streamed as something else`);
      assert.equal(got.value.length, d.size);
      blobs.push(got.value);
    }
    return { ok: true, root: root.bytes, config, layers, blobs };
  } finally {
    await source.close();
  }
}

describe('docker-archive properties', () => {
  test('a valid archive, in every layout peers write, reads as exactly the image it holds', async () => {
    await fc.assert(
      fc.asyncProperty(imageSpec, fc.boolean(), async (spec, byTag) => {
        const built = buildImage(spec);
        const file = await writeTemp(await pack(built.entries));
        try {
          const ref = byTag ? spec.repoTags[0] : undefined;
          const got = await withinTime(10_000, 'reading a valid archive', readArchive(file, ref));
          assert.ok(got.ok, 'a valid archive was refused');
          assert.deepEqual({ ...got.config }, built.expected.config);
          assert.deepEqual(
            got.layers.map((l) => ({ ...l })),
            built.expected.layers,
          );
        } finally {
          await unlink(file);
        }
      }),
      runs(60),
    );
  });

  test('any damage to an archive ends in a FerryError or a valid image, never a crash or a hang', async () => {
    await fc.assert(
      fc.asyncProperty(
        imageSpec,
        someOf(entryDamage, 4),
        someOf(byteDamage, 2),
        async (spec, entryHarm, byteHarm) => {
          const built = buildImage(spec);
          let tarBytes: Buffer;
          try {
            tarBytes = await pack(damageEntries(built, entryHarm));
          } catch {
            fc.pre(false); // a name tar-stream cannot write: not an archive anyone could hand us
            return;
          }
          const file = await writeTemp(damageBytes(tarBytes, byteHarm));
          try {
            await withinTime(10_000, 'scanning the tar', readTarIndex(file));
            await withinTime(10_000, 'reading the archive', readArchive(file));
          } finally {
            await unlink(file);
          }
        },
      ),
      runs(150),
    );
  });

  test('a member or link that leaves the archive (`..`, absolute) is refused with InvalidContentError', async () => {
    const part = fc.constantFrom('a', 'b.json', 'manifest.json', '.', '');
    const escaping = fc.oneof(
      // a name with a '..' component, or absolute
      fc
        .tuple(fc.array(part, { maxLength: 3 }), fc.array(part, { maxLength: 2 }))
        .map(([before, after]) => ({ type: 'file' as const, name: [...before, '..', ...after].join('/') })),
      fc
        .array(part, { minLength: 1, maxLength: 3 })
        .map((ps) => ({ type: 'file' as const, name: `/${ps.join('/')}` })),
      // a symlink whose target climbs above the root, or is absolute
      fc
        .tuple(fc.array(fc.constantFrom('a', 'b'), { maxLength: 3 }), fc.nat({ max: 2 }), part)
        .map(([dirs, extra, last]) => ({
          type: 'symlink' as const,
          name: [...dirs, 'link'].join('/'),
          linkname: `${'../'.repeat(dirs.length + 1 + extra)}${last}`,
        })),
      part.map((p) => ({ type: 'symlink' as const, name: 'link', linkname: `/etc/${p}` })),
      // a hard link to an escaping name
      fc
        .array(part, { maxLength: 2 })
        .map((ps) => ({ type: 'link' as const, name: 'link', linkname: ['..', ...ps].join('/') })),
    );
    await fc.assert(
      fc.asyncProperty(imageSpec, escaping, fc.nat(), async (spec, bad, at) => {
        const entries = buildImage(spec).entries;
        const i = at % (entries.length + 1);
        entries.splice(i, 0, { ...bad, body: Buffer.from('x') });
        const file = await writeTemp(await pack(entries));
        try {
          const index = await typedAsync(() => scanTar(file), [InvalidContentError]);
          assert.ok(!index.ok, `accepted ${bad.type} ${bad.name} → ${'linkname' in bad ? bad.linkname : ''}`);
        } finally {
          await unlink(file);
        }
      }),
      runs(60),
    );
  });

  test('a config of any JSON (rootfs.diff_ids of any type) ends in a FerryError or a valid image', async () => {
    const fullConfigEdit = editOf(
      fc.oneof(hostileValue, fc.array(hostileValue, { maxLength: 3 })),
      fc.constantFrom('rootfs', 'diff_ids', 'type'),
    );
    // A config named without a digest, so that a changed one is still read rather than refused by name.
    const configNamed = imageSpec.map((spec) => ({ ...spec, plainConfig: true }));
    const diffIds = fc.array(
      fc.oneof(
        fc.constant(`sha256:${'0'.repeat(64)}`),
        hostileValue,
        // What String() cannot print: no callable toString/valueOf, or nested past the stack.
        fc.constantFrom<unknown>({ toString: 1 }, { toString: 1, valueOf: 1 }, DEEP),
      ),
      { maxLength: 4 },
    );
    const configText = fc.oneof(
      fc.jsonValue().map((v) => JSON.stringify(v)),
      fc
        .tuple(fc.array(fullConfigEdit, { minLength: 1, maxLength: 3 }), depth, count)
        .map(([edits, d, c]) => ({ edits, d, c })),
      // A config with the right shape around diff_ids of any kind.
      fc
        .tuple(diffIds, depth)
        .map(([ids, d]) =>
          spliceMarkers(JSON.stringify({ os: 'linux', rootfs: { type: 'layers', diff_ids: ids } }), d, 10, 1),
        ),
    );
    await fc.assert(
      fc.asyncProperty(configNamed, configText, async (spec, text) => {
        const built = buildImage(spec);
        const damage: EntryDamage =
          typeof text === 'string'
            ? { kind: 'config-text', text }
            : { kind: 'config', edits: text.edits, depth: text.d, count: text.c };
        const file = await writeTemp(await pack(damageEntries(built, [damage])));
        try {
          await withinTime(10_000, 'reading the archive', readArchive(file));
        } finally {
          await unlink(file);
        }
      }),
      runs(100),
    );
  });
});
