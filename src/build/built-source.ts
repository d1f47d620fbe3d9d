/**
 * A built image as an ImageSource (architecture.md §7, "built images are sources"): what `append`,
 * `mutate` and `index create/add/remove` make is copied by the engine like any other source.
 *
 * - New documents (manifests, an index) are held in memory; so is a new config.
 * - A new layer is a temp file, its digest computed when it was built.
 * - Everything else (unchanged manifests, configs and layers) is served by the source it came
 *   from, and `placeOf` says where that source keeps it, so a destination on the same registry
 *   mounts it, and one that has it skips it after a HEAD: nothing is downloaded to be re-uploaded.
 *
 * Where an unchanged blob comes from is learnt as documents are served: the root's children are
 * registered when the image is built (`adopt`), and each manifest read through an origin registers
 * its config, layers and children with the same origin. The engine reads a manifest before its
 * blobs, so every blob is known by the time it is asked for.
 */
import { createReadStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { pipeline, Readable } from 'node:stream';
import { VerifyingStream, verifyBytes } from '../digest/index.js';
import { NotFoundError } from '../errors.js';
import type { Descriptor } from '../image/descriptor.js';
import { parseManifest } from '../image/manifest.js';
import type { BlobPlace, ImageSource, Referrer, SourceTraits, StoredManifest } from '../store/store.js';

/** A blob made by the build: bytes in memory, or a file. */
export type NewBlob = { bytes: Buffer } | { file: string; size: number };

export class BuiltSource implements ImageSource {
  /** A new image has no referrers yet (its signatures and SBOMs are made after it is pushed). */
  readonly traits: SourceTraits = { layers: 'as-published', listsReferrers: false };
  private readonly manifests = new Map<string, Buffer>();
  private readonly blobs = new Map<string, NewBlob>();
  private readonly origins = new Map<string, ImageSource>();
  private rootManifest: StoredManifest | undefined;

  constructor(
    readonly description: string,
    /** Sources the unchanged content comes from; closed with this one. */
    private readonly bases: readonly ImageSource[],
    /** Temp files and directories the build made; removed on close. */
    private readonly temps: string[] = [],
  ) {}

  /** The built root: the manifest or index the destination tag will name. */
  setRoot(root: StoredManifest): void {
    this.rootManifest = root;
    this.addManifest(root);
  }

  addManifest(manifest: StoredManifest): void {
    this.manifests.set(manifest.descriptor.digest, manifest.bytes);
  }

  addBlob(descriptor: Descriptor, blob: NewBlob): void {
    this.blobs.set(descriptor.digest, blob);
  }

  async referrers(): Promise<Referrer[]> {
    return [];
  }

  /** A temp path to remove on close. */
  addTemp(path: string): void {
    this.temps.push(path);
  }

  /** `descriptor` (a manifest or blob the build kept) is served by `origin`. */
  adopt(descriptor: Descriptor, origin: ImageSource): void {
    if (!this.manifests.has(descriptor.digest) && !this.blobs.has(descriptor.digest))
      this.origins.set(descriptor.digest, origin);
  }

  /**
   * A manifest the build read from `origin` and keeps unchanged: served from memory (no second
   * fetch), its config, layers and children from `origin`.
   */
  keep(manifest: StoredManifest, origin: ImageSource): void {
    this.addManifest(manifest);
    this.adoptChildren(manifest, origin);
  }

  private adoptChildren(manifest: StoredManifest, origin: ImageSource): void {
    const { descriptor, bytes } = manifest;
    const parsed = parseManifest(bytes, descriptor.mediaType, `manifest ${descriptor.digest}`);
    const children =
      parsed.kind === 'index' ? parsed.index.manifests : [parsed.manifest.config, ...parsed.manifest.layers];
    for (const child of children) this.adopt(child, origin);
  }

  async root(): Promise<StoredManifest> {
    if (this.rootManifest === undefined) throw new Error('BuiltSource: no root was built');
    return this.rootManifest;
  }

  async manifest(descriptor: Descriptor): Promise<Buffer> {
    const held = this.manifests.get(descriptor.digest);
    if (held !== undefined) {
      verifyBytes(held, descriptor, `manifest ${descriptor.digest}`);
      return held;
    }
    const origin = this.originOf(descriptor, 'manifest');
    const bytes = await origin.manifest(descriptor);
    // Its config, layers and children are the origin's too.
    this.adoptChildren({ descriptor, bytes }, origin);
    return bytes;
  }

  async blob(descriptor: Descriptor): Promise<Readable> {
    const made = this.blobs.get(descriptor.digest);
    if (made === undefined) return this.originOf(descriptor, 'blob').blob(descriptor);
    if ('bytes' in made) {
      verifyBytes(made.bytes, descriptor, `blob ${descriptor.digest}`);
      return Readable.from([made.bytes], { objectMode: false });
    }
    // Checked again as it is read: a temp file changed under ferry must not be pushed as good.
    const verify = new VerifyingStream({
      digest: descriptor.digest,
      size: descriptor.size,
      what: `layer ${descriptor.digest} built in ${made.file}`,
    });
    pipeline(createReadStream(made.file), verify, () => {});
    return verify;
  }

  placeOf(descriptor: Descriptor): BlobPlace | undefined {
    if (this.blobs.has(descriptor.digest)) return undefined;
    return this.origins.get(descriptor.digest)?.placeOf(descriptor);
  }

  async close(): Promise<void> {
    await Promise.all(this.bases.map((b) => b.close()));
    await Promise.all(this.temps.map((p) => rm(p, { recursive: true, force: true })));
  }

  private originOf(descriptor: Descriptor, kind: string): ImageSource {
    const origin = this.origins.get(descriptor.digest);
    if (origin === undefined)
      throw new NotFoundError(`${this.description} has no ${kind} ${descriptor.digest}`);
    return origin;
  }
}
