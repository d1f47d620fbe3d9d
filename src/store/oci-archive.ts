/**
 * An OCI image layout in a tar file, `oci-archive:FILE[:TAG]` (what skopeo's oci-archive:,
 * BuildKit's `type=oci` and `oras backup` write).
 *
 *   openOciArchiveSource(file, tag?)               → ImageSource; random access through a
 *                                                    TarIndex, nothing is extracted to disk
 *   openOciArchiveDestination(file | Writable, tag?) → ImageDestination (sequential; sizes up front)
 *
 * Reading has the same semantics as the layout directory (oci-common.ts): `./`-prefixed names
 * and links inside the tar are followed.
 *
 * Writing is front to back through the one tar-layout writer (tar-layout.ts): each blob and
 * manifest as `blobs/<alg>/<hex>` in the order the copy sends them, `oci-layout` and `index.json`
 * last in `commit()`. A file target is published whole at commit (an existing FILE is replaced,
 * not merged, as skopeo does: so it cannot leave one of its tags alone, and `copy -n` into it is
 * refused); `abort()` leaves nothing behind.
 */
import type { Readable, Writable } from 'node:stream';
import { verifyBytes } from '../digest/index.js';
import { NotFoundError } from '../errors.js';
import type { Descriptor } from '../image/descriptor.js';
import { describeLocation } from './location.js';
import { blobPath, IndexJsonEntries, type LayoutFiles, mergeIndexJson, OciSource } from './oci-common.js';
import type {
  DestinationTraits,
  ImageDestination,
  ImageSource,
  PutManifestOptions,
  StoredManifest,
  TagState,
} from './store.js';
import { TarIndex } from './tar-index.js';
import { TarLayoutWriter } from './tar-layout.js';

/** LayoutFiles over a scanned tar. */
class TarFiles implements LayoutFiles {
  constructor(
    private readonly index: TarIndex,
    private readonly description: string,
  ) {}

  async read(name: string, maxBytes: number): Promise<Buffer | undefined> {
    if (this.index.resolve(name) === undefined) return undefined;
    return this.index.read(name, maxBytes);
  }

  async stream(name: string): Promise<Readable> {
    if (this.index.resolve(name) === undefined)
      throw new NotFoundError(`${name} not found in ${this.description}`);
    return this.index.open(name);
  }

  async close(): Promise<void> {}
}

export async function openOciArchiveSource(file: string, tag?: string): Promise<ImageSource> {
  const description = describeLocation({ kind: 'oci-archive', path: file, tag });
  const source = new OciSource(description, new TarFiles(await TarIndex.scan(file), description), tag);
  await source.loadIndex();
  return source;
}

export async function openOciArchiveDestination(
  target: string | Writable,
  tag?: string,
): Promise<ImageDestination> {
  const description = describeLocation({
    kind: 'oci-archive',
    path: typeof target === 'string' ? target : '-',
    tag,
  });
  return new OciArchiveDestination(description, await TarLayoutWriter.open(description, target), tag);
}

export class OciArchiveDestination implements ImageDestination {
  readonly traits: DestinationTraits = {
    holds: 'graph',
    sequential: true,
    wantsCompressedLayers: false,
    place: undefined,
    referrers: 'index-json',
  };
  private queue: Promise<unknown> = Promise.resolve();
  private readonly entries: IndexJsonEntries;

  constructor(
    readonly description: string,
    private readonly tar: TarLayoutWriter,
    readonly tag: string | undefined,
  ) {
    this.entries = new IndexJsonEntries(tag);
  }

  async hasBlob(descriptor: Descriptor): Promise<boolean> {
    return this.tar.has(blobPath(descriptor.digest));
  }

  hasManifest(descriptor: Descriptor): Promise<boolean> {
    return this.hasBlob(descriptor);
  }

  putBlob(descriptor: Descriptor, open: () => Promise<Readable>): Promise<void> {
    return this.serial(async () => {
      const name = blobPath(descriptor.digest);
      if (this.tar.has(name)) return;
      await this.tar.addStream(
        name,
        descriptor,
        await open(),
        `blob ${descriptor.digest} for ${this.description}`,
      );
    });
  }

  async mountBlob(): Promise<boolean> {
    return false;
  }

  /** A new file holds no tag yet; an existing one is replaced whole, so it cannot keep one. */
  tagged(): Promise<TagState> {
    return this.tar.tagState();
  }

  putManifest(manifest: StoredManifest, options: PutManifestOptions = {}): Promise<void> {
    const { descriptor, bytes } = manifest;
    return this.serial(async () => {
      verifyBytes(bytes, descriptor, `manifest ${descriptor.digest} for ${this.description}`);
      const name = blobPath(descriptor.digest);
      if (!this.tar.has(name)) await this.tar.addBuffer(name, bytes);
      this.entries.put(manifest, options.tag);
    });
  }

  /** Untagged index.json entries, written at commit. */
  putReferrers(_subject: Descriptor, referrers: readonly Descriptor[]): Promise<void> {
    return this.serial(async () => {
      this.entries.addReferrers(referrers);
    });
  }

  commit(): Promise<void> {
    return this.serial(async () => {
      await this.tar.addIndex(mergeIndexJson(undefined, this.entries.entries()));
      await this.tar.finish();
    });
  }

  async abort(): Promise<void> {
    await this.tar.abort();
  }

  /** One operation at a time, in call order: the tar is written front to back. */
  private serial<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(() => {
      this.tar.check();
      return work();
    });
    this.queue = run.catch(() => {});
    return run;
  }
}
