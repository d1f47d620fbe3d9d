// Hostile inputs for `ferry push`, and hostile targets for `ferry pull` (the issue's "hostile
// tarballs and layouts"): a corpus generated here from one valid image, nothing binary committed.
// Every push case runs the real CLI against one anonymous registry and must:
//   - exit with the code the table below gives its kind of hostility;
//   - print exactly one `ferry: …` line on stderr, nothing on stdout;
//   - leave nothing in the registry that claims to be complete: no manifest PUT at all for the
//     repository, and a HEAD on the tag answers 404;
//   - leave the whole temp root as it was (names, types, sizes, mtimes, link targets): the input,
//     the sentinel directory beside it that hostile links point into, and no new file anywhere.
// Controls (the same builders with nothing hostile, or a legitimate oddity) must push, so a
// refusal is never the generator's fault.
//
// Exit codes (src/errors.ts), one rule per kind of hostility:
//
//   exit  error                           when
//   6     DigestMismatchError             bytes hash to something other than the digest a descriptor,
//                                         a file name or a config diff_id claims (a digest lie)
//   7     InvalidContentError,            the input's structure: tar entries ('..', absolute names,
//         E_UNSUPPORTED                   links leaving the archive, duplicates, truncation, bad
//                                         header checksums); JSON that is not JSON or has the wrong
//                                         shape; a size lie; a document over its cap; a manifest
//                                         media type ferry cannot read, or a media type that is no
//                                         media type; a layout file that is a symlink leaving the
//                                         layout, or not a regular file
//   8     LocalError                      the pull side: the target layout's structure is a symlink,
//                                         or the target's parent is missing or not a directory
//
// Decisions the cases pin (the source comments say the same):
// - Media types. A manifest or index (an index.json entry, an index's child) must be one of the
//   four ferry reads (OCI image manifest and index, Docker v2 schema 2 manifest and list): ferry
//   cannot know what another document references, so it refuses it (E_UNSUPPORTED, 7) rather than
//   push half an image. Config and layer media types pass through whatever they say, as long as
//   they are RFC 6838 media types: OCI artifacts carry any (Helm charts, SBOMs, signatures) and
//   registries store blobs regardless. A docker-archive has no media types: layers are sniffed,
//   and compressions ferry cannot name (zstd, xz, bzip2) are refused.
// - Symlinks. Inside a tar a link is a lookup in the archive, never a filesystem path; one that
//   leaves the archive is refused when the tar is scanned. In a layout directory a symlink is
//   followed only while its real path stays inside the layout root: one that leaves it is refused
//   even when the bytes it leads to match (the layout is what was named, not the rest of the
//   disk). FIFOs, devices and directories where a file belongs are refused without being opened
//   for a blocking read. Hard links in a directory are ordinary files there and cannot escape.
// - Pull into a hostile directory. `oci-layout`, `index.json`, `blobs/` or `blobs/<alg>/` that is
//   a symlink is refused (exit 8) before anything is written: following it would write elsewhere,
//   and replacing it would restructure a layout the user may share. A blob file that is a symlink
//   is never written through: it counts as absent, and the verified blob is renamed over the link.
//   An archive target FILE that is a symlink is replaced the same way (temp file renamed over it).
// - Pull with a missing parent. docker and oci tarballs refuse (exit 8) and create nothing; oci-dir
//   creates the directory and its parents (mkdir -p, as skopeo's oci: does) and a failed pull
//   removes everything it created.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
  cp,
  lstat,
  mkdir,
  open,
  readdir,
  readFile,
  readlink,
  rm,
  stat,
  symlink,
  truncate,
  writeFile,
} from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { errorLine, requestsDuring } from '../harness/fixtures.js';
import { generateImage, type ImageSummary, OCI_INDEX, OCI_MANIFEST, sha256 } from '../harness/images.js';
import { type Registry, startRegistry } from '../harness/registry.js';
import { type FerryResult, ferry } from '../harness/run-ferry.js';
import { pushImage } from '../harness/skopeo.js';
import { makeTempDir } from '../harness/tmp.js';

/** The exit codes of the table above. */
const EXIT = { ok: 0, notFound: 1, digest: 6, content: 7, local: 8 } as const;

const MiB = 1024 * 1024;
/** The caps the readers enforce (src/image/manifest.ts, docker-archive-format.ts, oci-common.ts). */
const MANIFEST_CAP = 4 * MiB;
const INDEX_JSON_CAP = 64 * MiB;
const MANIFEST_ACCEPT = [
  OCI_MANIFEST,
  OCI_INDEX,
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
].join(', ');

// ---------------------------------------------------------------------------------------------
// Files of an image, as a map from archive/layout-relative name to content; `hole` is a file of
// that many zero bytes written sparse (the "huge" cases cost no disk).

type Content = Buffer | { hole: number };
type Files = Map<string, Content>;

interface Desc {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
}
interface ManifestDoc {
  schemaVersion: number;
  mediaType?: string;
  config: Desc;
  layers: Desc[];
  annotations?: Record<string, string>;
}
interface IndexDoc {
  schemaVersion: number;
  mediaType?: string;
  manifests: Desc[];
  annotations?: Record<string, string>;
}

const json = (value: unknown): Buffer => Buffer.from(JSON.stringify(value));
const hexOf = (digest: string): string => digest.slice('sha256:'.length);
const blobName = (digest: string): string => `blobs/sha256/${hexOf(digest)}`;

/** Same size, other bytes: one byte in the middle flipped. */
function flipped(bytes: Buffer): Buffer {
  const out = Buffer.from(bytes);
  const i = Math.floor(out.length / 2);
  out[i] = (out[i] as number) ^ 0xff;
  return out;
}

function bytesOf(files: Files, name: string): Buffer {
  const content = files.get(name);
  if (!Buffer.isBuffer(content)) throw new Error(`test bug: ${name} is not in memory`);
  return content;
}

const readJson = <T>(files: Files, name: string): T => JSON.parse(bytesOf(files, name).toString('utf8')) as T;

function putBlob(files: Files, bytes: Buffer): { digest: string; size: number } {
  const digest = sha256(bytes);
  files.set(blobName(digest), bytes);
  return { digest, size: bytes.length };
}

/** The OCI image the generator made: the pieces the builders mutate. */
interface Base {
  oci: Files;
  manifest: ManifestDoc;
  manifestDigest: string;
  config: Buffer;
  configDigest: string;
  layers: { gz: Buffer; tar: Buffer; digest: string; diffId: string }[];
}

/** The root manifest of an OCI file map (index.json's only entry). */
function rootManifest(files: Files): ManifestDoc {
  const entry = readJson<IndexDoc>(files, 'index.json').manifests[0]!;
  return readJson<ManifestDoc>(files, blobName(entry.digest));
}

/** Rewrites index.json with `edit` applied. */
function editIndexJson(files: Files, edit: (index: IndexDoc) => void): void {
  const index = readJson<IndexDoc>(files, 'index.json');
  edit(index);
  files.set('index.json', json(index));
}

/** Stores `bytes` as the new root (honestly described) and points index.json's entry at it. */
function setRoot(files: Files, bytes: Buffer, mediaType = OCI_MANIFEST): void {
  const { digest, size } = putBlob(files, bytes);
  editIndexJson(files, (index) => {
    index.manifests[0] = { ...index.manifests[0]!, mediaType, digest, size };
  });
}

/** Rewrites the root manifest with `edit` applied (a new, honest digest in index.json). */
function editManifest(files: Files, edit: (manifest: ManifestDoc) => void): void {
  const manifest = rootManifest(files);
  edit(manifest);
  setRoot(files, json(manifest));
}

/** The docker-archive of the same image, as `docker save` / skopeo write it: uncompressed layers. */
function dockerFiles(base: Base, options: { gzipLayers?: boolean; config?: Buffer } = {}): Files {
  const config = options.config ?? base.config;
  const files: Files = new Map();
  const layerNames = base.layers.map((l) =>
    options.gzipLayers ? `${hexOf(l.digest)}.tar.gz` : `${hexOf(l.diffId)}.tar`,
  );
  files.set(
    'manifest.json',
    json([{ Config: `${hexOf(sha256(config))}.json`, RepoTags: ['lab/hostile:v1'], Layers: layerNames }]),
  );
  files.set(`${hexOf(sha256(config))}.json`, config);
  base.layers.forEach((l, i) => {
    files.set(layerNames[i]!, options.gzipLayers ? l.gz : l.tar);
  });
  return files;
}

function editManifestJson(files: Files, edit: (item: { Config: string; Layers: string[] }) => void): void {
  const items = readJson<{ Config: string; Layers: string[] }[]>(files, 'manifest.json');
  edit(items[0]!);
  files.set('manifest.json', json(items));
}

// ---------------------------------------------------------------------------------------------
// A ustar writer with every field in the test's hands (tar-stream would not write a bad checksum
// or a truncated archive, and checks names).

interface TarEntry {
  name: string;
  type?: 'file' | 'dir' | 'symlink' | 'hardlink' | 'pax';
  data?: Content;
  link?: string;
  pax?: Record<string, string>;
}

interface BuiltTar {
  chunks: { pos: number; bytes: Buffer }[];
  size: number;
  /** Header offset of each named entry (the last one of that name). */
  headers: Map<string, number>;
  /** Data offset and size of each file entry. */
  data: Map<string, { pos: number; size: number }>;
}

const TYPEFLAG = { file: '0', hardlink: '1', symlink: '2', dir: '5', pax: 'x' } as const;

function octal(value: number, width: number): string {
  return `${value.toString(8).padStart(width - 1, '0')}\0`;
}

function ustarHeader(name: string, typeflag: string, size: number, link = ''): Buffer {
  if (Buffer.byteLength(name) > 100 || Buffer.byteLength(link) > 100) throw new Error(`test bug: ${name}`);
  const h = Buffer.alloc(512);
  h.write(name, 0, 'utf8');
  h.write(octal(typeflag === '5' ? 0o755 : 0o644, 8), 100, 'latin1');
  h.write(octal(0, 8), 108, 'latin1');
  h.write(octal(0, 8), 116, 'latin1');
  h.write(octal(size, 12), 124, 'latin1');
  h.write(octal(1_704_067_200, 12), 136, 'latin1');
  h.write('        ', 148, 'latin1');
  h.write(typeflag, 156, 'latin1');
  h.write(link, 157, 'utf8');
  h.write('ustar\0', 257, 'latin1');
  h.write('00', 263, 'latin1');
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  return h;
}

function paxData(records: Record<string, string>): Buffer {
  let out = '';
  for (const [key, value] of Object.entries(records)) {
    const body = ` ${key}=${value}\n`;
    let length = body.length + 1;
    while (String(length).length + Buffer.byteLength(body) !== length)
      length = String(length).length + Buffer.byteLength(body);
    out += `${length}${body}`;
  }
  return Buffer.from(out);
}

function buildTar(entries: TarEntry[]): BuiltTar {
  const built: BuiltTar = { chunks: [], size: 0, headers: new Map(), data: new Map() };
  let pos = 0;
  for (const entry of entries) {
    const type = entry.type ?? 'file';
    let content: Content = Buffer.alloc(0);
    if (type === 'pax') content = paxData(entry.pax ?? {});
    else if (type === 'file') content = entry.data ?? Buffer.alloc(0);
    const size = Buffer.isBuffer(content) ? content.length : content.hole;
    const name = type === 'pax' ? 'PaxHeaders/next' : entry.name;
    built.headers.set(entry.name, pos);
    built.chunks.push({ pos, bytes: ustarHeader(name, TYPEFLAG[type], size, entry.link) });
    pos += 512;
    if (type === 'file') built.data.set(entry.name, { pos, size });
    if (Buffer.isBuffer(content) && content.length > 0) built.chunks.push({ pos, bytes: content });
    pos += Math.ceil(size / 512) * 512;
  }
  built.chunks.push({ pos, bytes: Buffer.alloc(1024) });
  built.size = pos + 1024;
  return built;
}

/** Writes the tar (holes stay sparse), cut short at `cutAt` when given. */
async function writeTar(file: string, built: BuiltTar, cutAt?: number): Promise<void> {
  const end = cutAt ?? built.size;
  const handle = await open(file, 'w');
  try {
    for (const { pos, bytes } of built.chunks) {
      if (pos >= end) continue;
      await handle.write(bytes, 0, Math.min(bytes.length, end - pos), pos);
    }
    await handle.truncate(end);
  } finally {
    await handle.close();
  }
}

/** Tar entries for an OCI layout map, in the order skopeo writes them (directories included). */
function ociEntries(files: Files): TarEntry[] {
  const entries: TarEntry[] = [];
  if (files.has('oci-layout')) entries.push({ name: 'oci-layout', data: files.get('oci-layout')! });
  entries.push({ name: 'blobs/', type: 'dir' }, { name: 'blobs/sha256/', type: 'dir' });
  for (const [name, data] of files) if (name.startsWith('blobs/')) entries.push({ name, data });
  if (files.has('index.json')) entries.push({ name: 'index.json', data: files.get('index.json')! });
  return entries;
}

const dockerEntries = (files: Files): TarEntry[] => [...files].map(([name, data]) => ({ name, data }));

async function writeFiles(dir: string, files: Files): Promise<void> {
  for (const [name, content] of files) {
    const path = join(dir, name);
    await mkdir(join(path, '..'), { recursive: true });
    if (Buffer.isBuffer(content)) await writeFile(path, content);
    else {
      await writeFile(path, '');
      await truncate(path, content.hole);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The corpus.

type Format = 'docker-archive' | 'oci-archive' | 'oci-dir';

interface Case {
  /** Unique; also the repository pushed to (hostile/<id>). */
  id: string;
  format: Format;
  /** Expected exit code (0 for a control). */
  exit: number;
  /** What the error line must say (the refusal is for the intended reason). */
  why?: RegExp | undefined;
  /** Writes the input at `input`; `sentinel` is the directory beside it that links may point into. */
  build(base: Base, input: string, sentinel: string): Promise<void>;
}

const cases: Case[] = [];

/** A tar of `files` with `extra` entries appended (the hostile ones) for the tar formats. */
function tarCase(
  format: 'docker-archive' | 'oci-archive',
  id: string,
  exit: number,
  why: RegExp | undefined,
  make: (base: Base) => { files: Files; extra?: TarEntry[]; edit?: (entries: TarEntry[]) => TarEntry[] },
  cut?: (built: BuiltTar, files: Files) => number,
  patch?: (built: BuiltTar) => void,
): void {
  const prefix = format === 'docker-archive' ? 'da' : 'oa';
  cases.push({
    id: `${prefix}-${id}`,
    format,
    exit,
    why,
    async build(base, input) {
      const { files, extra = [], edit = (e) => e } = make(base);
      const entries = edit([...(format === 'docker-archive' ? dockerEntries(files) : ociEntries(files))]);
      const built = buildTar([...entries, ...extra]);
      patch?.(built);
      await writeTar(input, built, cut?.(built, files));
    },
  });
}

/** Filesystem-level hostility shared by both tar formats. */
for (const format of ['docker-archive', 'oci-archive'] as const) {
  const files = (base: Base): Files => (format === 'docker-archive' ? dockerFiles(base) : new Map(base.oci));
  const plain = (extra: TarEntry[]) => (base: Base) => ({ files: files(base), extra });
  const x = Buffer.from('x');
  if (format === 'docker-archive') tarCase(format, 'control', EXIT.ok, undefined, plain([])); // oci: ociCase
  tarCase(
    format,
    'entry-dotdot',
    EXIT.content,
    /leaves the archive/,
    plain([{ name: '../escape', data: x }]),
  );
  tarCase(format, 'entry-absolute', EXIT.content, /absolute path/, plain([{ name: '/abs/path', data: x }]));
  tarCase(
    format,
    'entry-inner-dotdot',
    EXIT.content,
    /leaves the archive/,
    plain([{ name: 'a/../../b', data: x }]),
  );
  tarCase(
    format,
    'pax-path-dotdot',
    EXIT.content,
    /leaves the archive/,
    plain([
      { name: 'pax', type: 'pax', pax: { path: '../pax-escape' } },
      { name: 'harmless', data: x },
    ]),
  );
  tarCase(
    format,
    'symlink-dotdot',
    EXIT.content,
    /points outside the archive/,
    plain([{ name: 'link', type: 'symlink', link: '../../etc/passwd' }]),
  );
  tarCase(
    format,
    'symlink-absolute',
    EXIT.content,
    /absolute path/,
    plain([{ name: 'link', type: 'symlink', link: '/etc/passwd' }]),
  );
  tarCase(
    format,
    'hardlink-dotdot',
    EXIT.content,
    /leaves the archive/,
    plain([{ name: 'link', type: 'hardlink', link: '../../etc/passwd' }]),
  );
  tarCase(
    format,
    'hardlink-absolute',
    EXIT.content,
    /absolute path/,
    plain([{ name: 'link', type: 'hardlink', link: '/etc/passwd' }]),
  );
  // The same name twice with different content: which one a reader takes would be a guess.
  const meta = format === 'docker-archive' ? 'manifest.json' : 'index.json';
  tarCase(format, 'duplicate-entry', EXIT.content, /duplicate entry/, (base) => {
    const f = files(base);
    return { files: f, extra: [{ name: meta, data: Buffer.from(`${bytesOf(f, meta).toString()} `) }] };
  });
  tarCase(format, 'duplicate-dot-slash', EXIT.content, /duplicate entry/, (base) => {
    const f = files(base);
    return { files: f, extra: [{ name: `./${meta}`, data: Buffer.from('[]') }] };
  });
  // The biggest member's header, cut 100 bytes in; its data, cut halfway.
  const biggest = (f: Files): string =>
    [...f].sort((a, b) => (bytesOf(f, b[0]).length ?? 0) - (bytesOf(f, a[0]).length ?? 0))[0]![0];
  tarCase(
    format,
    'truncated-mid-header',
    EXIT.content,
    /truncated/,
    (base) => ({ files: files(base) }),
    (built, f) => built.headers.get(biggest(f))! + 100,
  );
  tarCase(
    format,
    'truncated-mid-data',
    EXIT.content,
    /truncated/,
    (base) => ({ files: files(base) }),
    (built, f) => {
      const { pos, size } = built.data.get(biggest(f))!;
      return pos + Math.floor(size / 2);
    },
  );
  tarCase(
    format,
    'bad-header-checksum',
    EXIT.content,
    /checksum/,
    (base) => ({ files: files(base) }),
    undefined,
    (built) => {
      const header = built.chunks.find((c) => c.pos === built.headers.get(meta))!.bytes;
      header[140] = (header[140] as number) ^ 0x01; // in the mtime field; the checksum is left as it was
    },
  );
}

// A link used where a blob or manifest belongs.
tarCase('oci-archive', 'manifest-symlink-escapes', EXIT.content, /points outside the archive/, (base) => ({
  files: new Map(base.oci),
  edit: (entries) =>
    entries.map((e) =>
      e.name === blobName(base.manifestDigest)
        ? { name: e.name, type: 'symlink', link: '../../../etc/passwd' }
        : e,
    ),
}));
tarCase('oci-archive', 'blob-symlink-in-archive-lies', EXIT.digest, /digest mismatch/, (base) => ({
  files: new Map(base.oci),
  extra: [{ name: 'blobs/decoy', data: flipped(base.layers[0]!.gz) }],
  edit: (entries) =>
    entries.map((e) =>
      e.name === blobName(base.layers[0]!.digest) ? { name: e.name, type: 'symlink', link: '../decoy' } : e,
    ),
}));
// Control: links inside the archive are lookups in it (skopeo's docker-archive uses them).
tarCase('oci-archive', 'control-blob-hardlink-in-archive', EXIT.ok, undefined, (base) => ({
  files: new Map(base.oci),
  extra: [{ name: 'blobs/copy', data: base.layers[0]!.gz }],
  edit: (entries) =>
    entries.map((e) =>
      e.name === blobName(base.layers[0]!.digest)
        ? { name: e.name, type: 'hardlink', link: 'blobs/copy' }
        : e,
    ),
}));
tarCase('docker-archive', 'layer-symlink-escapes', EXIT.content, /points outside the archive/, (base) => {
  const files = dockerFiles(base);
  editManifestJson(files, (item) => {
    item.Layers[0] = 'layer0/layer.tar';
  });
  return { files, extra: [{ name: 'layer0/layer.tar', type: 'symlink', link: '../../etc/passwd' }] };
});
tarCase('docker-archive', 'layer-symlink-in-archive-lies', EXIT.digest, /digest mismatch/, (base) => {
  const files = dockerFiles(base);
  editManifestJson(files, (item) => {
    item.Layers[0] = 'layer0/layer.tar';
  });
  return {
    files,
    extra: [
      { name: 'decoy.tar', data: flipped(base.layers[0]!.tar) },
      { name: 'layer0/layer.tar', type: 'symlink', link: '../decoy.tar' },
    ],
  };
});
tarCase('docker-archive', 'control-layer-symlink-in-archive', EXIT.ok, undefined, (base) => {
  const files = dockerFiles(base);
  const target = `${hexOf(base.layers[0]!.diffId)}.tar`;
  editManifestJson(files, (item) => {
    item.Layers[0] = 'layer0/layer.tar';
  });
  return { files, extra: [{ name: 'layer0/layer.tar', type: 'symlink', link: `../${target}` }] };
});

/** docker-archive: manifest.json, config and layers that lie or are malformed. */
function dockerCase(id: string, exit: number, why: RegExp | undefined, make: (base: Base) => Files): void {
  tarCase('docker-archive', id, exit, why, (base) => ({ files: make(base) }));
}
dockerCase('control-gzip-layers', EXIT.ok, undefined, (base) => dockerFiles(base, { gzipLayers: true }));
dockerCase('manifest-json-not-json', EXIT.content, /manifest\.json: not JSON/, (base) => {
  const files = dockerFiles(base);
  files.set('manifest.json', Buffer.from('[{"Config": '));
  return files;
});
dockerCase('manifest-json-wrong-shape', EXIT.content, /not a JSON array/, (base) => {
  const files = dockerFiles(base);
  files.set('manifest.json', json(readJson<unknown[]>(files, 'manifest.json')[0]));
  return files;
});
dockerCase('manifest-json-layers-not-strings', EXIT.content, /Layers/, (base) => {
  const files = dockerFiles(base);
  files.set('manifest.json', json([{ Config: 'x.json', Layers: [1, 2] }]));
  return files;
});
dockerCase('manifest-json-huge', EXIT.content, new RegExp(`more than the ${MANIFEST_CAP}`), (base) => {
  const files = dockerFiles(base);
  files.set('manifest.json', { hole: MANIFEST_CAP + 1 });
  return files;
});
dockerCase('config-path-dotdot', EXIT.content, /outside the archive/, (base) => {
  const files = dockerFiles(base);
  editManifestJson(files, (item) => {
    item.Config = `../${item.Config}`;
  });
  return files;
});
dockerCase('config-path-absolute', EXIT.content, /outside the archive/, (base) => {
  const files = dockerFiles(base);
  editManifestJson(files, (item) => {
    item.Config = `/${item.Config}`;
  });
  return files;
});
dockerCase('layer-path-dotdot', EXIT.content, /outside the archive/, (base) => {
  const files = dockerFiles(base);
  editManifestJson(files, (item) => {
    item.Layers[1] = `x/../../${item.Layers[1]}`;
  });
  return files;
});
dockerCase('config-digest-lie', EXIT.digest, /digest mismatch/, (base) => {
  const files = dockerFiles(base);
  files.set(`${hexOf(base.configDigest)}.json`, flipped(base.config));
  return files;
});
dockerCase('config-not-json', EXIT.content, /not JSON/, (base) =>
  dockerFiles(base, { config: Buffer.from('{"rootfs": ') }),
);
dockerCase('diff-ids-missing', EXIT.content, /diff_ids/, (base) => {
  const config = JSON.parse(base.config.toString()) as { rootfs: { diff_ids: string[] } };
  config.rootfs.diff_ids.pop();
  return dockerFiles(base, { config: json(config) });
});
dockerCase('diff-id-not-a-digest', EXIT.content, /not a digest/, (base) => {
  const config = JSON.parse(base.config.toString()) as { rootfs: { diff_ids: string[] } };
  config.rootfs.diff_ids[0] = '../../etc/passwd';
  return dockerFiles(base, { config: json(config) });
});
// The config's diff_ids do not describe the layers: an uncompressed layer whose bytes changed...
dockerCase('layer-diff-id-lie', EXIT.digest, /digest mismatch/, (base) => {
  const files = dockerFiles(base);
  files.set(`${hexOf(base.layers[1]!.diffId)}.tar`, flipped(base.layers[1]!.tar));
  return files;
});
// ...and a gzip'd layer, honest about its own digest, whose uncompressed tar is not the diff_id.
dockerCase('gzip-layer-diff-id-lie', EXIT.digest, /digest mismatch.*diff_id/, (base) => {
  const config = JSON.parse(base.config.toString()) as { rootfs: { diff_ids: string[] } };
  config.rootfs.diff_ids[1] = sha256(flipped(base.layers[1]!.tar));
  return dockerFiles(base, { gzipLayers: true, config: json(config) });
});
dockerCase('gzip-layer-digest-lie', EXIT.digest, /digest mismatch/, (base) => {
  const files = dockerFiles(base, { gzipLayers: true });
  files.set(`${hexOf(base.layers[0]!.digest)}.tar.gz`, flipped(base.layers[0]!.gz));
  return files;
});
dockerCase('zstd-layer', EXIT.content, /zstd/, (base) => {
  const files = dockerFiles(base);
  const zstd = Buffer.concat([Buffer.from([0x28, 0xb5, 0x2f, 0xfd]), base.layers[0]!.tar]);
  files.set(`${hexOf(base.layers[0]!.diffId)}.tar`, zstd);
  return files;
});

/** OCI (tar and directory): oci-layout, index.json and manifests that lie or are malformed. */
function ociCase(
  id: string,
  exit: number,
  why: RegExp | undefined,
  make: (files: Files, base: Base) => void,
) {
  const files = (base: Base): Files => {
    const f = new Map(base.oci);
    make(f, base);
    return f;
  };
  tarCase('oci-archive', id, exit, why, (base) => ({ files: files(base) }));
  cases.push({
    id: `od-${id}`,
    format: 'oci-dir',
    exit,
    why,
    build: (base, input) => writeFiles(input, files(base)),
  });
}

ociCase('control', EXIT.ok, undefined, () => {});
ociCase('layout-file-missing', EXIT.content, /oci-layout/, (f) => {
  f.delete('oci-layout');
});
ociCase('layout-file-not-json', EXIT.content, /oci-layout.*not valid JSON/, (f) => {
  f.set('oci-layout', Buffer.from('imageLayoutVersion=1.0.0'));
});
ociCase('layout-version-2', EXIT.content, /imageLayoutVersion '2\.0\.0'/, (f) => {
  f.set('oci-layout', json({ imageLayoutVersion: '2.0.0' }));
});
ociCase('layout-version-missing', EXIT.content, /no imageLayoutVersion/, (f) => {
  f.set('oci-layout', json({ version: '1.0.0' }));
});
ociCase('index-json-not-json', EXIT.content, /index\.json.*not valid JSON/, (f) => {
  f.set('index.json', Buffer.from('{"schemaVersion": 2, "manifests": ['));
});
ociCase('index-json-wrong-shape', EXIT.content, /"manifests" array/, (f) => {
  f.set('index.json', json({ schemaVersion: 2, manifests: { latest: 'sha256:0' } }));
});
ociCase('index-json-schema-1', EXIT.content, /schemaVersion/, (f) => {
  editIndexJson(f, (index) => {
    index.schemaVersion = 1;
  });
});
ociCase('index-json-media-type', EXIT.content, /mediaType/, (f) => {
  editIndexJson(f, (index) => {
    index.mediaType = OCI_MANIFEST;
  });
});
ociCase('index-json-huge', EXIT.content, new RegExp(`more than the ${INDEX_JSON_CAP}`), (f) => {
  f.set('index.json', { hole: INDEX_JSON_CAP + 1 });
});
ociCase('index-json-digest-lie', EXIT.digest, /digest mismatch/, (f, base) => {
  f.set(blobName(base.manifestDigest), flipped(bytesOf(f, blobName(base.manifestDigest))));
});
ociCase('index-json-size-lie', EXIT.content, /descriptor says/, (f) => {
  editIndexJson(f, (index) => {
    index.manifests[0]!.size += 1;
  });
});
ociCase('index-json-size-over-cap', EXIT.content, /larger than/, (f) => {
  editIndexJson(f, (index) => {
    index.manifests[0]!.size = MANIFEST_CAP + 1;
  });
});
ociCase('index-json-digest-traversal', EXIT.content, /not a valid sha256/, (f) => {
  editIndexJson(f, (index) => {
    index.manifests[0]!.digest = 'sha256:../../../../etc/passwd';
  });
});
ociCase('config-digest-lie', EXIT.digest, /digest mismatch/, (f, base) => {
  f.set(blobName(base.configDigest), flipped(base.config));
});
ociCase('config-size-lie', EXIT.content, /truncated/, (f) => {
  editManifest(f, (m) => {
    m.config.size += 1;
  });
});
ociCase('layer-digest-lie', EXIT.digest, /digest mismatch/, (f, base) => {
  f.set(blobName(base.layers[1]!.digest), flipped(base.layers[1]!.gz));
});
ociCase('layer-size-lie', EXIT.content, /longer than/, (f) => {
  editManifest(f, (m) => {
    m.layers[1]!.size -= 1;
  });
});
ociCase('layer-digest-bad-algorithm', EXIT.content, /not a valid sha256/, (f) => {
  editManifest(f, (m) => {
    m.layers[0]!.digest = `md5:${'0'.repeat(32)}`;
  });
});
ociCase('manifest-over-cap', EXIT.content, new RegExp(`larger than ${MANIFEST_CAP}`), (f) => {
  editManifest(f, (m) => {
    m.annotations = { padding: 'x'.repeat(MANIFEST_CAP) };
  });
});
ociCase('index-blob-over-cap', EXIT.content, new RegExp(`larger than ${MANIFEST_CAP}`), (f, base) => {
  const child = {
    mediaType: OCI_MANIFEST,
    digest: base.manifestDigest,
    size: bytesOf(f, blobName(base.manifestDigest)).length,
  };
  const index = {
    schemaVersion: 2,
    mediaType: OCI_INDEX,
    manifests: [child],
    annotations: { padding: 'x'.repeat(MANIFEST_CAP) },
  };
  setRoot(f, json(index), OCI_INDEX);
});
ociCase('manifest-not-json', EXIT.content, /not JSON/, (f) => {
  setRoot(f, Buffer.from('{"schemaVersion": 2, "config": '));
});
ociCase('manifest-without-layers', EXIT.content, /"layers"/, (f) => {
  editManifest(f, (m) => {
    delete (m as Partial<ManifestDoc>).layers;
  });
});
ociCase('manifest-schema-1', EXIT.content, /schema 1/, (f) => {
  setRoot(f, json({ schemaVersion: 1, name: 'x', tag: 'v1', fsLayers: [] }));
});
// A manifest media type ferry cannot read: it cannot know what the document references.
ociCase('manifest-media-type-unknown', EXIT.content, /unsupported manifest media type/, (f) => {
  editIndexJson(f, (index) => {
    index.manifests[0]!.mediaType = 'application/vnd.example.unknown.v1+json';
  });
});
ociCase('manifest-media-type-contradicts', EXIT.content, /contradicts/, (f) => {
  editIndexJson(f, (index) => {
    index.manifests[0]!.mediaType = OCI_INDEX;
  });
});
ociCase('index-child-media-type-unknown', EXIT.content, /unsupported manifest media type/, (f, base) => {
  const child = {
    mediaType: 'application/vnd.example.unknown.v1+json',
    digest: base.manifestDigest,
    size: bytesOf(f, blobName(base.manifestDigest)).length,
  };
  setRoot(f, json({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [child] }), OCI_INDEX);
});
// Config and layer media types that are no media types at all (RFC 6838) are refused...
ociCase('layer-media-type-invalid', EXIT.content, /media type/, (f) => {
  editManifest(f, (m) => {
    m.layers[0]!.mediaType = 'tar\ngz';
  });
});
ociCase('config-media-type-invalid', EXIT.content, /media type/, (f) => {
  editManifest(f, (m) => {
    m.config.mediaType = '../../etc/passwd';
  });
});
// ...while unknown but well-formed ones pass through: an OCI artifact may carry any.
ociCase('control-artifact-media-types', EXIT.ok, undefined, (f) => {
  editManifest(f, (m) => {
    m.config.mediaType = 'application/vnd.example.config.v1+json';
    for (const layer of m.layers) layer.mediaType = 'application/vnd.example.data.v1.tar+gzip';
  });
});

/** OCI layout directories only: symlinks, FIFOs and directories where files belong. */
function layoutCase(
  id: string,
  exit: number,
  why: RegExp | undefined,
  mutate: (input: string, sentinel: string, base: Base) => Promise<void>,
): void {
  cases.push({
    id: `od-${id}`,
    format: 'oci-dir',
    exit,
    why,
    async build(base, input, sentinel) {
      await writeFiles(input, base.oci);
      await mutate(input, sentinel, base);
    },
  });
}

/** Replaces `name` in the layout by a symlink to `target` (absolute). */
async function linkInLayout(input: string, name: string, target: string): Promise<void> {
  await rm(join(input, name), { recursive: true, force: true });
  await symlink(target, join(input, name));
}

layoutCase('blob-symlink-outside', EXIT.content, /outside the layout/, async (input, sentinel, base) => {
  const outside = join(sentinel, 'other');
  await writeFile(outside, flipped(base.layers[0]!.gz));
  await linkInLayout(input, blobName(base.layers[0]!.digest), outside);
});
layoutCase(
  'blob-symlink-outside-matching',
  EXIT.content,
  /outside the layout/,
  async (input, sentinel, base) => {
    const outside = join(sentinel, 'same-bytes');
    await writeFile(outside, base.layers[0]!.gz);
    await linkInLayout(input, blobName(base.layers[0]!.digest), outside);
  },
);
layoutCase('manifest-symlink-passwd', EXIT.content, /outside the layout/, async (input, _s, base) => {
  await linkInLayout(input, blobName(base.manifestDigest), '/etc/passwd');
});
layoutCase('blobs-dir-symlink-outside', EXIT.content, /outside the layout/, async (input, sentinel) => {
  await cp(join(input, 'blobs'), join(sentinel, 'blobs'), { recursive: true });
  await linkInLayout(input, 'blobs', join(sentinel, 'blobs'));
});
layoutCase('index-json-symlink-outside', EXIT.content, /outside the layout/, async (input, sentinel) => {
  await cp(join(input, 'index.json'), join(sentinel, 'index.json'));
  await linkInLayout(input, 'index.json', join(sentinel, 'index.json'));
});
layoutCase('config-blob-fifo', EXIT.content, /not a regular file/, async (input, _s, base) => {
  await rm(join(input, blobName(base.configDigest)));
  execFileSync('mkfifo', [join(input, blobName(base.configDigest))]);
});
layoutCase('index-json-fifo', EXIT.content, /not a regular file/, async (input) => {
  await rm(join(input, 'index.json'));
  execFileSync('mkfifo', [join(input, 'index.json')]);
});
layoutCase('layer-blob-directory', EXIT.content, /not a regular file/, async (input, _s, base) => {
  await rm(join(input, blobName(base.layers[0]!.digest)));
  await mkdir(join(input, blobName(base.layers[0]!.digest)));
});
layoutCase('blob-symlink-inside-lies', EXIT.digest, /digest mismatch/, async (input, _s, base) => {
  await writeFile(join(input, 'decoy'), flipped(base.layers[0]!.gz));
  await linkInLayout(input, blobName(base.layers[0]!.digest), '../../decoy');
});
// Control: a link that stays inside the layout is followed (the bytes are verified anyway).
layoutCase('control-blob-symlink-inside', EXIT.ok, undefined, async (input, _s, base) => {
  await mkdir(join(input, 'store'));
  await writeFile(join(input, 'store', 'layer0'), base.layers[0]!.gz);
  await linkInLayout(input, blobName(base.layers[0]!.digest), '../../store/layer0');
});

// ---------------------------------------------------------------------------------------------
// Checks.

interface Seen {
  kind: string;
  size: number;
  mtimeMs: number;
  link?: string;
}

/** Every path under `root` (lstat: links are not followed) with type, size, mtime, link target. */
async function snapshot(root: string): Promise<Record<string, Seen>> {
  const out: Record<string, Seen> = {};
  const walk = async (rel: string): Promise<void> => {
    for (const name of (await readdir(join(root, rel))).sort()) {
      const path = join(rel, name);
      const info = await lstat(join(root, path));
      const kind = info.isSymbolicLink()
        ? 'symlink'
        : info.isDirectory()
          ? 'dir'
          : info.isFile()
            ? 'file'
            : info.isFIFO()
              ? 'fifo'
              : 'other';
      out[path] = { kind, size: kind === 'dir' ? 0 : info.size, mtimeMs: info.mtimeMs };
      if (kind === 'symlink') out[path].link = await readlink(join(root, path));
      if (kind === 'dir') await walk(path);
    }
  };
  await walk('');
  return out;
}

async function manifestStatus(registry: Registry, repoAndRef: string): Promise<number> {
  const [repo, ref] = repoAndRef.split(':') as [string, string];
  const res = await fetch(`${registry.url}/v2/${repo}/manifests/${ref}`, {
    method: 'HEAD',
    headers: { accept: MANIFEST_ACCEPT },
  });
  return res.status;
}

async function sourceBase(): Promise<{ image: ImageSummary; base: Base }> {
  const image = await generateImage({ tag: 'v1', seed: 'hostile-input', layers: [700, 1500] });
  const oci: Files = new Map();
  const read = (name: string) => readFile(join(image.dir, name));
  oci.set('oci-layout', await read('oci-layout'));
  oci.set('index.json', await read('index.json'));
  for (const name of await readdir(join(image.dir, 'blobs', 'sha256')))
    oci.set(`blobs/sha256/${name}`, await read(join('blobs', 'sha256', name)));
  const p = image.platforms[0]!;
  const base: Base = {
    oci,
    manifest: rootManifest(oci),
    manifestDigest: p.manifestDigest,
    config: bytesOf(oci, blobName(p.configDigest)),
    configDigest: p.configDigest,
    layers: p.layers.map((l) => {
      const gz = bytesOf(oci, blobName(l.digest));
      return { gz, tar: gunzipSync(gz), digest: l.digest, diffId: l.diffId };
    }),
  };
  assert.equal(
    sha256(base.layers[0]!.tar),
    base.layers[0]!.diffId,
    'the generator writes gzip of the diff_id tar',
  );
  return { image, base };
}

describe('hostile input', () => {
  let reg: Registry;
  let root: string;
  let base: Base;
  let image: ImageSummary;

  before(async () => {
    [reg, root, { image, base }] = await Promise.all([
      startRegistry('anonymous'),
      makeTempDir('hostile'),
      sourceBase(),
    ]);
  });
  after(() => reg?.stop());

  describe('push', () => {
    for (const c of cases) {
      const label = `${c.format} ${c.id} → ${c.exit === 0 ? 'pushed (control)' : `exit ${c.exit}`}`;
      test(label, async () => {
        const dir = join(root, c.id);
        const sentinel = join(dir, 'sentinel');
        await mkdir(sentinel, { recursive: true });
        await writeFile(join(sentinel, 'secret'), 'ferry must neither read nor write this\n');
        const input = join(dir, c.format === 'oci-dir' ? 'layout' : 'image.tar');
        await c.build(base, input, sentinel);
        const repo = `hostile/${c.id}`;
        const before = await snapshot(root);

        const { value: r, requests } = await requestsDuring(reg, () =>
          ferry(['push', input, `${reg.host}/${repo}:v1`]),
        );

        assert.deepEqual(await snapshot(root), before, 'nothing under the temp root changed');
        if (c.exit === EXIT.ok) {
          assert.equal(r.code, 0, r.stderr);
          assert.equal(await manifestStatus(reg, `${repo}:v1`), 200);
          return;
        }
        const line = errorLine(r);
        assert.equal(r.code, c.exit, line);
        if (c.why) assert.match(line, c.why);
        const puts = requests.filter(
          (q) => q.method === 'PUT' && q.path.startsWith(`/v2/${repo}/manifests/`),
        );
        assert.deepEqual(puts, [], 'no manifest was PUT');
        assert.equal(await manifestStatus(reg, `${repo}:v1`), 404, 'the tag does not exist');
      });
    }
  });

  describe('pull into a hostile target', () => {
    let ref: string;
    before(async () => {
      await pushImage(reg, 'lab/source:v1', image);
      ref = `${reg.host}/lab/source:v1`;
    });

    /** A fresh case dir with a sentinel; returns both. */
    const fresh = async (id: string): Promise<{ dir: string; sentinel: string }> => {
      const dir = join(root, 'pull', id);
      const sentinel = join(dir, 'sentinel');
      await mkdir(sentinel, { recursive: true });
      await writeFile(join(sentinel, 'secret'), 'ferry must neither read nor write this\n');
      return { dir, sentinel };
    };

    /** An empty OCI layout (what an earlier pull of nothing would leave). */
    const emptyLayout = async (dir: string): Promise<void> => {
      await mkdir(join(dir, 'blobs', 'sha256'), { recursive: true });
      await writeFile(join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
      await writeFile(
        join(dir, 'index.json'),
        json({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [] }),
      );
    };

    const refused = async (r: FerryResult, exit: number, why: RegExp, snap: Record<string, Seen>) => {
      const line = errorLine(r);
      assert.equal(r.code, exit, line);
      assert.match(line, why);
      assert.deepEqual(await snapshot(root), snap, 'nothing under the temp root changed');
    };

    for (const name of ['blobs', 'blobs/sha256', 'index.json', 'oci-layout']) {
      test(`oci-dir: ${name} is a symlink out of the target → exit 8, nothing written anywhere`, async () => {
        const { dir, sentinel } = await fresh(`link-${name.replace('/', '-')}`);
        const target = join(dir, 'layout');
        await emptyLayout(target);
        await cp(join(target, name), join(sentinel, 'moved'), { recursive: true });
        await linkInLayout(target, name, join(sentinel, 'moved'));
        const snap = await snapshot(root);
        const r = await ferry(['pull', '--format', 'oci-dir', ref, target]);
        await refused(r, EXIT.local, /symlink/, snap);
      });
    }

    test('oci-dir: a blob file that is a symlink out is replaced, never written through', async () => {
      const { dir, sentinel } = await fresh('link-blob');
      const target = join(dir, 'layout');
      await emptyLayout(target);
      // Same size as the blob, other bytes: a size check that followed the link would call it present.
      const victim = join(sentinel, 'victim');
      await writeFile(victim, flipped(base.config));
      await symlink(victim, join(target, blobName(base.configDigest)));
      const before = await snapshot(sentinel);
      const r = await ferry(['pull', '--format', 'oci-dir', ref, target]);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(await snapshot(sentinel), before, 'the link target is untouched');
      const info = await lstat(join(target, blobName(base.configDigest)));
      assert.ok(info.isFile(), 'the link was replaced by the verified blob');
      assert.deepEqual(await readFile(join(target, blobName(base.configDigest))), base.config);
    });

    for (const format of ['docker', 'oci'] as const) {
      test(`${format}: an output FILE that is a symlink is replaced, never written through`, async () => {
        const { dir, sentinel } = await fresh(`link-file-${format}`);
        const victim = join(sentinel, 'victim.tar');
        await writeFile(victim, 'not a tar\n');
        const out = join(dir, 'out.tar');
        await symlink(victim, out);
        const before = await snapshot(sentinel);
        const r = await ferry(['pull', '--format', format, ref, out]);
        assert.equal(r.code, 0, r.stderr);
        assert.deepEqual(await snapshot(sentinel), before, 'the link target is untouched');
        assert.ok((await lstat(out)).isFile(), 'out.tar is now the archive itself');
      });

      test(`${format}: a missing parent directory → exit 8, nothing created`, async () => {
        const { dir } = await fresh(`no-parent-${format}`);
        const snap = await snapshot(root);
        const r = await ferry(['pull', '--format', format, ref, join(dir, 'missing', 'sub', 'out.tar')]);
        await refused(r, EXIT.local, /missing|no such|ENOENT/i, snap);
      });
    }

    for (const format of ['docker', 'oci', 'oci-dir'] as const) {
      test(`${format}: a parent that is a regular file → exit 8, nothing created`, async () => {
        const { dir } = await fresh(`file-parent-${format}`);
        await writeFile(join(dir, 'plain'), 'a file\n');
        const snap = await snapshot(root);
        const r = await ferry(['pull', '--format', format, ref, join(dir, 'plain', 'out')]);
        await refused(r, EXIT.local, /not a directory|ENOTDIR|no such directory/i, snap);
      });
    }

    test('oci-dir: missing parents are created (mkdir -p); a failed pull removes all it created', async () => {
      const { dir } = await fresh('no-parent-oci-dir');
      const made = join(dir, 'missing', 'sub', 'layout');
      const ok = await ferry(['pull', '--format', 'oci-dir', ref, made]);
      assert.equal(ok.code, 0, ok.stderr);
      assert.ok((await stat(join(made, 'index.json'))).isFile());
      const names = await readdir(dir);
      const r = await ferry([
        'pull',
        '--format',
        'oci-dir',
        `${reg.host}/lab/source:nope`,
        join(dir, 'other', 'sub', 'layout'),
      ]);
      const line = errorLine(r);
      assert.equal(r.code, EXIT.notFound, line);
      assert.match(line, /nope/);
      assert.deepEqual(await readdir(dir), names, 'other/ and everything under it are gone');
    });
  });
});
