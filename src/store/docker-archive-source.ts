/**
 * A docker-archive as an ImageSource (push): `docker-archive:FILE[:REF]`.
 *
 * Reads every layout peers write (see docker-archive-format.ts) through manifest.json alone:
 * classic `docker save` (`<hex>.json`, `<id>/layer.tar`, possibly symlinks), skopeo's root-level
 * `<diffid>.tar`, Docker 25+ `blobs/sha256/<hex>` (its index.json is ignored), crane's
 * `sha256:<hex>` config and `<hex>.tar.gz` layers, and `./`-prefixed names. The tar is scanned
 * once (tar-index.ts); blobs are then streamed straight out of it.
 *
 * The image is presented with the manifest the archive itself holds, when it holds one: an archive
 * that is an OCI layout too (Docker 25+ `docker save`, containerd's export, ferry's own `pull`)
 * names the image's manifest from index.json (directly or through an index), and when that
 * manifest lists exactly the config and layers of the manifest.json entry, its bytes are the
 * image's, so its digest is kept. Otherwise (a classic archive) the manifest is a synthesized
 * Docker v2 schema 2 one:
 * - config: the config file, digest = sha256 of its bytes (checked against the hex in its file
 *   name, where the name carries one);
 * - a gzip'd layer (magic 1f 8b), or a zstd one (`…layer.v1.tar+zstd`; then the manifest is an OCI
 *   one, since Docker's schema has no zstd type): `…rootfs.diff.tar.gzip`, digest and size of the file as stored
 *   (taken from a `<hex>` file name and verified while streaming, else hashed when opening); what
 *   it unpacks to is checked against the config's diff_id while streaming (diff-id-check.ts);
 * - an uncompressed layer: `…rootfs.diff.tar`, digest = the config's diff_id, size = the file's;
 *   the stream is verified against the diff_id, so a layer that lies fails its transfer.
 * The layer policy (copy/layer-policy.ts) gzips uncompressed layers for a registry, and the engine
 * rebuilds the manifest around them.
 *
 * Hostile archives: the tar itself is vetted by tar-index.ts; manifest.json is capped at 4 MiB and
 * shape-checked, and a Config or Layers entry that is absolute or holds `..` is refused (the
 * archive is never extracted, but such a name can only mean to point outside it). Every byte
 * pushed is verified: the config against the hex in its name, uncompressed layers against their
 * diff_id, gzip'd ones against their own digest and their diff_id.
 */
import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { pipeline, Readable } from 'node:stream';
import { digestOf, VerifyingStream, verifyBytes } from '../digest/index.js';
import {
  DigestMismatchError,
  FerryError,
  InvalidContentError,
  NotFoundError,
  UsageError,
} from '../errors.js';
import type { Descriptor } from '../image/descriptor.js';
import { MAX_MANIFEST_BYTES, type ParsedManifest, parseManifest } from '../image/manifest.js';
import { isImageManifestType, isIndexType, MediaType } from '../image/media-types.js';
import { parseReference } from '../ref/index.js';
import { sniffCompression } from '../util/decompress.js';
import { isObject } from '../util/is-object.js';
import { DiffIdCheck } from './diff-id-check.js';
import {
  canonicalTag,
  DOCKER_LAYER_TAR,
  MANIFEST_JSON,
  MAX_CONFIG_BYTES,
  MAX_MANIFEST_JSON_BYTES,
  type ManifestItem,
  readDiffIds,
} from './docker-archive-format.js';
import { blobPath, INDEX_FILE, parseIndexJson } from './oci-common.js';
import type { ImageSource, Referrer, SourceTraits, StoredManifest } from './store.js';
import { scanTar, type TarIndex } from './tar-index.js';

/**
 * Where a blob's bytes are: in memory (the config) or a member of the tar; a gzip'd layer also
 * carries the diff_id its uncompressed tar must have.
 */
type BlobData =
  | { descriptor: Descriptor; bytes: Buffer }
  | { descriptor: Descriptor; member: string; diffId?: string | undefined };

/** `<hex>`, `sha256:<hex>`, `<hex>.json`, `<hex>.tar`, `<hex>.tar.gz`: the digest a file name claims. */
const NAMED_DIGEST = /^(?:sha256:)?([0-9a-f]{64})(?:\.json|\.tar|\.tar\.gz|\.tgz|\.gz)?$/;

function digestInName(path: string): string | undefined {
  const last = path.split('/').at(-1) ?? '';
  const m = NAMED_DIGEST.exec(last);
  return m ? `sha256:${m[1]}` : undefined;
}

type Compression = ReturnType<typeof sniffCompression> | 'xz' | 'bzip2';

/** gzip, zstd (util/decompress.ts reads both) or none; xz and bzip2 only to refuse them by name. */
function sniff(magic: Buffer): Compression {
  if (magic.subarray(0, 6).equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))) return 'xz';
  if (magic.subarray(0, 3).toString('latin1') === 'BZh') return 'bzip2';
  return sniffCompression(magic);
}

/** Validates manifest.json's shape: an array of {Config, RepoTags, Layers}. */
export function parseManifestJson(bytes: Buffer, file: string): ManifestItem[] {
  const bad = (problem: string): never => {
    throw new InvalidContentError(`${file}: invalid ${MANIFEST_JSON}: ${problem}`);
  };
  let doc: unknown;
  try {
    doc = JSON.parse(bytes.toString('utf8'));
  } catch {
    bad('not JSON');
  }
  if (!Array.isArray(doc)) return bad('not a JSON array');
  if (doc.length === 0) bad('it lists no images');
  return doc.map((item: unknown, i): ManifestItem => {
    if (!isObject(item)) return bad(`entry ${i} is not an object`);
    const { Config, RepoTags, Layers } = item;
    if (typeof Config !== 'string' || Config === '') bad(`entry ${i} has no "Config"`);
    if (!Array.isArray(Layers) || !Layers.every((l) => typeof l === 'string' && l !== '')) {
      bad(`entry ${i} needs "Layers", an array of file names`);
    }
    if (
      RepoTags !== undefined &&
      RepoTags !== null &&
      (!Array.isArray(RepoTags) || !RepoTags.every((t) => typeof t === 'string'))
    ) {
      bad(`entry ${i} has "RepoTags" that is not an array of strings`);
    }
    return { Config: Config as string, Layers: Layers as string[], RepoTags: (RepoTags ?? []) as string[] };
  });
}

const listTags = (items: ManifestItem[]): string =>
  items
    .map((item, i) => (item.RepoTags.length > 0 ? item.RepoTags.join(', ') : `@${i} (untagged)`))
    .join('; ');

/**
 * The image REF names: a RepoTags entry (`x:1`, `docker.io/library/x:1` and `x` for `x:latest` are
 * the same), or skopeo's `@N` (the N-th entry of manifest.json). Without REF, the only image.
 */
function pickImage(items: ManifestItem[], ref: string | undefined, file: string): ManifestItem {
  if (ref === undefined) {
    if (items.length === 1) return items[0]!;
    throw new UsageError(`${file} holds ${items.length} images: ${listTags(items)}`, {
      hint: `name one: docker-archive:${file}:NAME:TAG (or :@N for the N-th)`,
    });
  }
  const at = /^@(\d+)$/.exec(ref);
  if (at) {
    const item = items[Number(at[1])];
    if (item === undefined)
      throw new NotFoundError(`${file} has no image @${at[1]}: it holds ${items.length}`);
    return item;
  }
  const parsed = parseReference(ref);
  if (parsed.digest !== undefined) {
    throw new UsageError(`docker-archive:${file}:${ref}: images in an archive are named by tag, not digest`);
  }
  const want = canonicalTag(ref);
  const found = items.find((item) => item.RepoTags.some((tag) => tag === ref || canonicalTag(tag) === want));
  if (found === undefined)
    throw new NotFoundError(`${file} has no image tagged ${ref}; it holds: ${listTags(items)}`);
  return found;
}

async function hashMember(index: TarIndex, name: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of index.open(name)) hash.update(chunk as Buffer);
  return `sha256:${hash.digest('hex')}`;
}

/** The OCI media type of each Docker layer type, for an archive presented with OCI types. */
const OCI_LAYER_TYPES: Readonly<Record<string, string>> = {
  [DOCKER_LAYER_TAR]: MediaType.ociLayer,
  [MediaType.dockerLayerGzip]: MediaType.ociLayerGzip,
};

export class DockerArchiveSource implements ImageSource {
  /** `docker save` writes layers as plain tars: a registry should get them compressed (store.ts). */
  readonly traits: SourceTraits = { layers: 'uncompressed-export', listsReferrers: false };
  /** Use openDockerArchiveSource(). */
  constructor(
    readonly description: string,
    private readonly index: TarIndex,
    private readonly rootManifest: StoredManifest,
    private readonly blobs: Map<string, BlobData>,
    /** The RepoTags of the chosen image, as written in manifest.json. */
    readonly repoTags: readonly string[],
  ) {}

  async root(): Promise<StoredManifest> {
    return this.rootManifest;
  }

  async manifest(descriptor: Descriptor): Promise<Buffer> {
    if (descriptor.digest !== this.rootManifest.descriptor.digest) {
      throw new NotFoundError(`${this.description} has no manifest ${descriptor.digest}`);
    }
    verifyBytes(this.rootManifest.bytes, descriptor, `manifest ${descriptor.digest}`);
    return this.rootManifest.bytes;
  }

  async blob(descriptor: Descriptor): Promise<Readable> {
    const data = this.blobs.get(descriptor.digest);
    if (data === undefined) throw new NotFoundError(`${this.description} has no blob ${descriptor.digest}`);
    if ('bytes' in data) {
      verifyBytes(data.bytes, descriptor, `blob ${descriptor.digest}`);
      return Readable.from([data.bytes], { objectMode: false });
    }
    const what = `${data.member} (${descriptor.digest}) in ${this.index.file}`;
    const verify = new VerifyingStream({ digest: data.descriptor.digest, size: data.descriptor.size, what });
    if (data.diffId === undefined) {
      pipeline(this.index.open(data.member), verify, () => {});
      return verify;
    }
    const unpacked = new DiffIdCheck(data.diffId, what);
    pipeline(this.index.open(data.member), verify, unpacked, () => {});
    return unpacked;
  }

  placeOf(): undefined {
    return undefined;
  }

  /** `docker save` writes images only. */
  async referrers(): Promise<Referrer[]> {
    return [];
  }

  async close(): Promise<void> {}
}

const sameBlob = (a: Descriptor, b: Descriptor): boolean => a.digest === b.digest && a.size === b.size;

/** A blob of the archive's OCI view, verified against its descriptor; undefined when absent or not it. */
async function heldBlob(index: TarIndex, descriptor: Descriptor): Promise<Buffer | undefined> {
  if (descriptor.size > MAX_MANIFEST_BYTES) return undefined;
  const member = index.resolve(blobPath(descriptor.digest));
  if (member === undefined || member.size !== descriptor.size) return undefined;
  const bytes = await index.read(member.name, MAX_MANIFEST_BYTES);
  return digestOf(bytes) === descriptor.digest ? bytes : undefined;
}

/** The manifest in `bytes`, or undefined when there are none or they are no manifest ferry reads. */
function parsedOrNone(bytes: Buffer | undefined, mediaType: string): ParsedManifest | undefined {
  if (bytes === undefined) return undefined;
  try {
    return parseManifest(bytes, mediaType);
  } catch (err) {
    if (err instanceof FerryError) return undefined;
    throw err;
  }
}

/**
 * The image manifest the archive holds for this config and these layers: one that index.json
 * names, or that an index it names lists, whose blob is in the archive and whose config and
 * layers are exactly these (digest and size, in order). The OCI view is optional in a
 * docker-archive, so a broken index.json, a missing blob or a document that does not parse only
 * means there is none.
 */
async function heldManifest(
  index: TarIndex,
  config: Descriptor,
  layers: readonly Descriptor[],
): Promise<StoredManifest | undefined> {
  if (!index.has(INDEX_FILE)) return undefined;
  let top: Descriptor[];
  try {
    top = parseIndexJson(await index.read(INDEX_FILE, MAX_MANIFEST_BYTES), INDEX_FILE).manifests;
  } catch (err) {
    if (err instanceof FerryError) return undefined;
    throw err;
  }
  const candidates = [...top];
  for (const descriptor of top) {
    if (!isIndexType(descriptor.mediaType)) continue;
    const parsed = parsedOrNone(await heldBlob(index, descriptor), descriptor.mediaType);
    if (parsed?.kind === 'index') candidates.push(...parsed.index.manifests);
  }
  for (const descriptor of candidates) {
    if (!isImageManifestType(descriptor.mediaType)) continue;
    const bytes = await heldBlob(index, descriptor);
    const parsed = parsedOrNone(bytes, descriptor.mediaType);
    if (bytes === undefined || parsed?.kind !== 'image') continue;
    const held = parsed.manifest;
    if (
      sameBlob(held.config, config) &&
      held.layers.length === layers.length &&
      held.layers.every((layer, i) => sameBlob(layer, layers[i]!))
    ) {
      const { digest, size } = descriptor;
      return { descriptor: { mediaType: parsed.mediaType, digest, size }, bytes };
    }
  }
  return undefined;
}

/**
 * Scans `file` and prepares the image REF names (or the only one). Everything is checked here
 * except the layers' bytes, which are verified as they stream: manifest.json's shape and size,
 * that every file it names exists, the config's digest, and diff_ids against the layer count.
 */
export async function openDockerArchiveSource(file: string, ref?: string): Promise<DockerArchiveSource> {
  const index = await scanTar(file);
  if (index.resolve(MANIFEST_JSON) === undefined) {
    const oci = index.has('index.json') && index.has('oci-layout');
    throw new InvalidContentError(`${file}: no ${MANIFEST_JSON}, so not a docker-archive`, {
      hint: oci ? `it is an OCI layout: use oci-archive:${file}` : undefined,
    });
  }
  const items = parseManifestJson(await index.read(MANIFEST_JSON, MAX_MANIFEST_JSON_BYTES), file);
  const item = pickImage(items, ref, file);

  const find = (path: string, role: string): string => {
    if (path.startsWith('/') || path.split('/').includes('..')) {
      throw new InvalidContentError(
        `${file}: ${MANIFEST_JSON} names ${role} '${path.slice(0, 200)}', a path outside the archive`,
      );
    }
    const member = index.resolve(path);
    if (member === undefined) {
      throw new InvalidContentError(
        `${file}: ${MANIFEST_JSON} names ${role} '${path}', which is not in the archive`,
      );
    }
    return member.name;
  };

  const configMember = find(item.Config, 'the config');
  const configBytes = await index.read(configMember, MAX_CONFIG_BYTES);
  const configDigest = digestOf(configBytes);
  const configWhat = `config ${item.Config} in ${file}`;
  const claimed = digestInName(item.Config);
  if (claimed !== undefined && claimed !== configDigest)
    throw new DigestMismatchError(configWhat, claimed, configDigest);
  const diffIds = readDiffIds(configBytes, configWhat);
  if (diffIds.length !== item.Layers.length) {
    throw new InvalidContentError(
      `${file}: ${MANIFEST_JSON} lists ${item.Layers.length} layers, config ${item.Config} has ${diffIds.length} diff_ids`,
    );
  }

  const config: Descriptor = {
    mediaType: MediaType.dockerConfig,
    size: configBytes.length,
    digest: configDigest,
  };
  const blobs = new Map<string, BlobData>([[configDigest, { descriptor: config, bytes: configBytes }]]);
  const layers: Descriptor[] = [];
  const handle = await open(index.file, 'r');
  try {
    for (const [i, path] of item.Layers.entries()) {
      const member = index.resolve(find(path, `layer ${i}`))!;
      const magic = Buffer.alloc(Math.min(6, member.size));
      if (magic.length > 0) await handle.read(magic, 0, magic.length, member.offset);
      const compression = sniff(magic);
      const diffId = diffIds[i]!;
      let layer: Descriptor;
      if (compression === 'none') {
        layer = { mediaType: DOCKER_LAYER_TAR, size: member.size, digest: diffId };
      } else if (compression === 'gzip' || compression === 'zstd') {
        // A file name that carries a digest other than the diff_id is taken as the blob's (verified while
        // streaming); otherwise the file is hashed now, since the manifest needs the digest up front.
        const named = digestInName(path) ?? digestInName(member.name);
        const digest = named !== undefined && named !== diffId ? named : await hashMember(index, member.name);
        const mediaType = compression === 'gzip' ? MediaType.dockerLayerGzip : MediaType.ociLayerZstd;
        layer = { mediaType, size: member.size, digest };
      } else {
        throw new FerryError(
          'E_UNSUPPORTED',
          `${file}: layer ${path} is ${compression}-compressed; ferry reads plain, gzip'd or zstd layers`,
        );
      }
      layers.push(layer);
      const known = blobs.get(layer.digest);
      const diffIdOf = compression === 'none' ? undefined : diffId;
      if (known === undefined)
        blobs.set(layer.digest, { descriptor: layer, member: member.name, diffId: diffIdOf });
      else if (known.descriptor.size !== layer.size) {
        throw new InvalidContentError(`${file}: two different files claim to be ${layer.digest}`);
      } else if ('member' in known && known.diffId !== diffIdOf) {
        // One gzip'd blob, two diff_ids: it can unpack to only one of them (only the first is checked while streaming).
        throw new InvalidContentError(`${file}: layer ${layer.digest} is listed with two different diff_ids`);
      }
    }
  } finally {
    await handle.close();
  }

  // Docker's schema 2 has no zstd layer type: an archive with zstd layers (Docker 25+ with the
  // containerd store writes them) is presented with OCI types throughout.
  const oci = layers.some((l) => l.mediaType === MediaType.ociLayerZstd);
  const manifestType = oci ? MediaType.ociManifest : MediaType.dockerManifest;
  const named = oci
    ? {
        config: { ...config, mediaType: MediaType.ociConfig },
        layers: layers.map((l) => ({ ...l, mediaType: OCI_LAYER_TYPES[l.mediaType] ?? l.mediaType })),
      }
    : { config, layers };
  // Field order as Docker writes v2 schema 2 (mediaType, size, digest); compact JSON, serialised once.
  const bytes = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: manifestType, ...named }));
  const root: StoredManifest = (await heldManifest(index, config, layers)) ?? {
    descriptor: { mediaType: manifestType, digest: digestOf(bytes), size: bytes.length },
    bytes,
  };
  const description = `docker-archive:${file}${ref === undefined ? '' : `:${ref}`}`;
  return new DockerArchiveSource(description, index, root, blobs, item.RepoTags);
}
