/**
 * What the OCI layout directory and the OCI archive share (opencontainers/image-spec
 * image-layout.md): the `oci-layout` marker, `index.json` (an image index whose entries may carry
 * the `org.opencontainers.image.ref.name` annotation, the "tag"), blob paths `blobs/<alg>/<hex>`,
 * choosing the root for `oci:DIR[:TAG]`, merging a new root into an existing index.json, and
 * OciSource, the ImageSource both backends are, over a small file-access interface.
 */

import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream';
import { parseDigest, VerifyingStream, verifyBytes } from '../digest/index.js';
import { InvalidContentError, NotFoundError, UsageError } from '../errors.js';
import type { Descriptor } from '../image/descriptor.js';
import { checkDescriptor, MAX_MANIFEST_BYTES, parseDescribedManifest } from '../image/manifest.js';
import { isManifestType, MediaType } from '../image/media-types.js';
import {
  legacyKindOf,
  readReferrersIndex,
  referrerDescriptor,
  referrerOf,
  referrersTag,
  untaggedEntry,
} from '../image/referrers.js';
import { isObject } from '../util/is-object.js';
import type { ImageSource, Referrer, SourceTraits, StoredManifest } from './store.js';

export const REF_NAME_ANNOTATION = 'org.opencontainers.image.ref.name';
export const LAYOUT_FILE = 'oci-layout';
export const INDEX_FILE = 'index.json';
export const LAYOUT_FILE_BYTES = Buffer.from('{"imageLayoutVersion":"1.0.0"}');
/** index.json lists every tag of a layout, so it may outgrow a manifest; still bounded. */
export const MAX_INDEX_JSON_BYTES = 64 * 1024 * 1024;

/** 'sha256:ab…' → 'blobs/sha256/ab…'. The digest is validated first, so the path cannot escape. */
export function blobPath(digest: string): string {
  const { algorithm, encoded } = parseDigest(digest);
  return `blobs/${algorithm}/${encoded}`;
}

function parseJson(bytes: Uint8Array, what: string): unknown {
  try {
    return JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    throw new InvalidContentError(`${what} is not valid JSON`);
  }
}

/** `oci-layout` MUST be a JSON object with `imageLayoutVersion`; only version 1.x exists. */
export function checkLayoutFile(bytes: Uint8Array, what: string): void {
  const doc = parseJson(bytes, what);
  const version = isObject(doc) ? doc['imageLayoutVersion'] : undefined;
  if (typeof version !== 'string') throw new InvalidContentError(`${what} has no imageLayoutVersion`);
  if (!/^1\./.test(version))
    throw new InvalidContentError(`${what}: unsupported imageLayoutVersion '${version.slice(0, 40)}'`);
}

export interface IndexJson {
  /** The whole document; fields ferry does not know are kept when it is rewritten. */
  doc: Record<string, unknown>;
  manifests: Descriptor[];
}

export function parseIndexJson(bytes: Uint8Array, what: string): IndexJson {
  const doc = parseJson(bytes, what);
  if (!isObject(doc)) throw new InvalidContentError(`${what} is not a JSON object`);
  if (doc['schemaVersion'] !== 2) throw new InvalidContentError(`${what}: schemaVersion is not 2`);
  // image-layout.md: index.json is an image index; its mediaType, when present, says so.
  if (doc['mediaType'] !== undefined && doc['mediaType'] !== MediaType.ociIndex)
    throw new InvalidContentError(
      `${what}: mediaType ${JSON.stringify(String(doc['mediaType']).slice(0, 80))} is not ${MediaType.ociIndex}`,
    );
  // Go's encoding/json writes an empty slice left nil as null: a layout Go tools made empty says
  // `"manifests": null` (one of go-containerregistry's test archives does), which means no entries.
  const list = doc['manifests'] === null ? [] : doc['manifests'];
  if (!Array.isArray(list)) throw new InvalidContentError(`${what} has no "manifests" array`);
  return { doc, manifests: list.map((d, i) => checkDescriptor(d, `${what} (manifests[${i}])`)) };
}

const tagOf = (d: Descriptor): string | undefined => d.annotations?.[REF_NAME_ANNOTATION];

/**
 * The root for `TAG`: the entry whose ref.name is TAG (or, failing that, whose digest is TAG);
 * without a tag, the only entry. Several entries and no tag is a UsageError listing the tags.
 */
export function selectRoot(index: IndexJson, tag: string | undefined, where: string): Descriptor {
  const { manifests } = index;
  const tags = manifests.map(tagOf).filter((t): t is string => t !== undefined);
  if (tag === undefined) {
    if (manifests.length === 1) return manifests[0] as Descriptor;
    if (manifests.length === 0) throw new NotFoundError(`${where} holds no images (index.json is empty)`);
    const untagged = manifests.length - tags.length;
    throw new UsageError(
      `${where} holds ${manifests.length} images; name one with ${where}:TAG` +
        ` (tags: ${tags.length > 0 ? tags.join(', ') : 'none'}${untagged > 0 ? `; ${untagged} untagged, name those by digest` : ''})`,
    );
  }
  let matches = manifests.filter((d) => tagOf(d) === tag);
  if (matches.length === 0) matches = manifests.filter((d) => d.digest === tag);
  if (matches.length === 1) return matches[0] as Descriptor;
  if (matches.length > 1)
    throw new InvalidContentError(`${where}: index.json has ${matches.length} entries for '${tag}'`);
  throw new NotFoundError(
    `tag '${tag}' is not in ${where} (tags: ${tags.length > 0 ? tags.join(', ') : 'none'})`,
  );
}

/** An entry a copy adds to index.json: a manifest, tagged or not. */
export interface IndexEntry {
  descriptor: Descriptor;
  tag?: string | undefined;
}

/**
 * index.json with `entries` added. A tagged entry replaces the entry with the same tag; an
 * untagged one (a referrer, or a root put without a tag) replaces untagged entries of the same
 * digest and is left out when a tagged entry names that digest. Other entries and unknown fields
 * stay, so several tags (and their referrers) can share one layout.
 */
export function mergeIndexJson(existing: IndexJson | undefined, entries: readonly IndexEntry[]): Buffer {
  const doc: Record<string, unknown> = existing?.doc ?? { schemaVersion: 2, mediaType: MediaType.ociIndex };
  let manifests = existing?.manifests ?? [];
  const ordered = [
    ...entries.filter((e) => e.tag !== undefined),
    ...entries.filter((e) => e.tag === undefined),
  ];
  for (const { descriptor, tag } of ordered) {
    if (tag !== undefined) {
      const entry: Descriptor = {
        mediaType: descriptor.mediaType,
        digest: descriptor.digest,
        size: descriptor.size,
      };
      if (descriptor.artifactType !== undefined) entry.artifactType = descriptor.artifactType;
      entry.annotations = { [REF_NAME_ANNOTATION]: tag };
      manifests = [...manifests.filter((d) => tagOf(d) !== tag), entry];
      continue;
    }
    if (manifests.some((d) => d.digest === descriptor.digest && tagOf(d) !== undefined)) continue;
    manifests = [
      ...manifests.filter((d) => tagOf(d) !== undefined || d.digest !== descriptor.digest),
      untaggedEntry(descriptor),
    ];
  }
  return Buffer.from(JSON.stringify({ ...doc, manifests }));
}

/**
 * What a layout destination's index.json gains from one copy: each manifest put with a tag under
 * that tag (the root, and a legacy cosign tag that travelled with it), or, when none was, the last
 * manifest put (the root: children come first) under the destination's own tag; and every
 * manifest with a `subject` as an untagged entry, as oras keeps referrers in a layout (the
 * image-layout spec has no place of its own for them yet: opencontainers/image-spec#1171).
 */
export class IndexJsonEntries {
  private readonly tagged = new Map<string, Descriptor>();
  private last: Descriptor | undefined;
  private readonly referrers = new Map<string, Descriptor>();

  constructor(private readonly defaultTag: string | undefined) {}

  put(manifest: StoredManifest, tag: string | undefined): void {
    if (tag !== undefined) this.tagged.set(tag, manifest.descriptor);
    this.last = manifest.descriptor;
    const referrer = referrerOf(manifest.descriptor, manifest.bytes);
    if (referrer) this.referrers.set(referrer.referrer.digest, referrer.referrer);
  }

  addReferrers(referrers: readonly Descriptor[]): void {
    for (const d of referrers) this.referrers.set(d.digest, d);
  }

  entries(): IndexEntry[] {
    const tagged: IndexEntry[] = [...this.tagged].map(([tag, descriptor]) => ({ descriptor, tag }));
    const root = tagged.length > 0 || !this.last ? [] : [{ descriptor: this.last, tag: this.defaultTag }];
    return [...tagged, ...root, ...[...this.referrers.values()].map((descriptor) => ({ descriptor }))];
  }
}

/** What OciSource needs from a layout: a directory on disk or a tar file. Names are layout-relative. */
export interface LayoutFiles {
  /** The whole file, or undefined when it is absent; InvalidContentError when larger than maxBytes. */
  read(name: string, maxBytes: number): Promise<Buffer | undefined>;
  /** The file as a stream; NotFoundError when absent. */
  stream(name: string): Promise<Readable>;
  close(): Promise<void>;
}

/** Pipes `source` through a VerifyingStream; the returned stream errors at its end on a mismatch. */
export function verifiedStream(source: Readable, descriptor: Descriptor, what: string): Readable {
  const verifier = new VerifyingStream({ digest: descriptor.digest, size: descriptor.size, what });
  // Errors travel by destroy: a failing source destroys the verifier, and a consumer that
  // stops early destroys the source (closing its file).
  pipeline(source, verifier, () => {});
  return verifier;
}

/** An OCI image layout (directory or tar) as an ImageSource. */
export class OciSource implements ImageSource {
  readonly traits: SourceTraits = { layers: 'as-published', listsReferrers: true };
  private index: Promise<IndexJson> | undefined;
  private referrerMap: Promise<Map<string, Referrer[]>> | undefined;

  constructor(
    readonly description: string,
    private readonly files: LayoutFiles,
    private readonly tag: string | undefined,
  ) {}

  /** Reads and checks `oci-layout` and `index.json` (once). */
  loadIndex(): Promise<IndexJson> {
    this.index ??= (async () => {
      const layout = await this.files.read(LAYOUT_FILE, 64 * 1024);
      if (layout === undefined)
        throw new InvalidContentError(`${this.description} is not an OCI layout: no ${LAYOUT_FILE} file`);
      checkLayoutFile(layout, `${LAYOUT_FILE} of ${this.description}`);
      const bytes = await this.files.read(INDEX_FILE, MAX_INDEX_JSON_BYTES);
      if (bytes === undefined)
        throw new InvalidContentError(`${this.description} is not an OCI layout: no ${INDEX_FILE}`);
      return parseIndexJson(bytes, `${INDEX_FILE} of ${this.description}`);
    })();
    return this.index;
  }

  async root(): Promise<StoredManifest> {
    const descriptor = selectRoot(await this.loadIndex(), this.tag, this.description);
    return { descriptor, bytes: await this.manifest(descriptor) };
  }

  /**
   * A manifest or index, checked before anyone uses it: its size against the 4 MiB cap, its bytes
   * against the descriptor (size, then digest), its media type (one ferry reads) and its schema
   * (image/manifest.ts: every descriptor's media type, digest and size).
   */
  async manifest(descriptor: Descriptor): Promise<Buffer> {
    const what = `manifest ${descriptor.digest} in ${this.description}`;
    if (descriptor.size > MAX_MANIFEST_BYTES)
      throw new InvalidContentError(`${what} is larger than ${MAX_MANIFEST_BYTES} bytes`);
    const bytes = await this.files.read(blobPath(descriptor.digest), MAX_MANIFEST_BYTES);
    if (bytes === undefined) throw new NotFoundError(`${what} not found`);
    verifyBytes(bytes, descriptor, what);
    parseDescribedManifest(descriptor, bytes, what);
    return bytes;
  }

  async blob(descriptor: Descriptor): Promise<Readable> {
    const source = await this.files.stream(blobPath(descriptor.digest));
    return verifiedStream(source, descriptor, `blob ${descriptor.digest} in ${this.description}`);
  }

  /** A file holds its blobs itself: nothing to mount from. */
  placeOf(): undefined {
    return undefined;
  }

  /**
   * From index.json: the entries whose manifest names the subject (oras and ferry list referrers
   * there untagged), the entries of an index tagged with the subject's referrers tag, and entries
   * tagged with a legacy cosign tag of its digest. Every entry is read once, on the first call.
   */
  async referrers(subject: Descriptor): Promise<Referrer[]> {
    this.referrerMap ??= this.mapReferrers();
    return (await this.referrerMap).get(subject.digest) ?? [];
  }

  private async mapReferrers(): Promise<Map<string, Referrer[]>> {
    const map = new Map<string, Referrer[]>();
    const add = (subject: string, referrer: Referrer): void => {
      const list = map.get(subject) ?? [];
      if (!list.some((r) => r.descriptor.digest === referrer.descriptor.digest && r.tag === referrer.tag))
        list.push(referrer);
      map.set(subject, list);
    };
    const { manifests } = await this.loadIndex();
    for (const entry of manifests) {
      if (!isManifestType(entry.mediaType)) continue;
      const bytes = await this.manifest(entry);
      const tag = tagOf(entry);
      const found = referrerOf(entry, bytes);
      if (found) add(found.subject.digest, { descriptor: found.referrer });
      if (tag === undefined) continue;
      const legacy = legacyKindOf(tag);
      if (legacy !== undefined) {
        const parsed = parseDescribedManifest(entry, bytes, `${tag} in ${this.description}`);
        const subject = tag.slice(0, -(legacy.length + 1)).replace('-', ':');
        add(subject, { descriptor: referrerDescriptor(entry, parsed), tag });
        continue;
      }
      const m = /^(sha256|sha512)-([0-9a-f]{64,128})$/.exec(tag);
      if (!m) continue;
      const subject = `${m[1]}:${m[2]}`;
      if (referrersTag(subject) !== tag) continue;
      const read = readReferrersIndex(
        parseDescribedManifest(entry, bytes, `${tag} in ${this.description}`),
        entry.digest,
        subject,
      );
      if ('referrers' in read) for (const d of read.referrers) add(subject, { descriptor: d });
    }
    return map;
  }

  close(): Promise<void> {
    return this.files.close();
  }
}
