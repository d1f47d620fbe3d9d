/**
 * The transfer algorithm, written once for every pair of stores (architecture.md principle 7).
 *
 *   root ─┬─ index: each child (or the chosen platforms' children) copied first, then the index
 *         └─ image: config and layers in parallel (jobs), then the manifest
 *
 * Children before parents, blobs before manifests, manifests by digest before the tag: a
 * registry refuses a manifest whose blobs are missing (MANIFEST_BLOB_UNKNOWN), and a tag must
 * never point at something incomplete. A blob the destination already has is skipped after a
 * HEAD; a child manifest it already has is skipped with all its blobs; on one registry a blob is
 * mounted from the source repository instead of moved. Each blob is transferred once even when
 * several platforms share it.
 */
import { type Readable, Transform } from 'node:stream';
import { digestOf } from '../digest/index.js';
import { NotFoundError } from '../errors.js';
import type { Retrier } from '../http/retry.js';
import type { Descriptor, Platform } from '../image/descriptor.js';
import { type ImageIndex, type ImageManifest, parseManifest } from '../image/manifest.js';
import { MediaType } from '../image/media-types.js';
import { formatPlatform, selectPlatform } from '../image/platform.js';
import { canMount, type ImageDestination, type ImageSource, type StoredManifest } from '../store/store.js';
import { chain } from '../util/chain.js';
import { createLimiter } from '../util/limit.js';
import { adaptiveGzip } from './adaptive-gzip.js';
import type { CopyListener, CopySummary } from './events.js';

export interface CopyOptions {
  /** Copy only these platforms of an index: one gives that image alone, several a new index of them. */
  platforms?: readonly Platform[] | undefined;
  /** Point this tag at the copied root; without it the root is stored by digest only. */
  tag?: string | undefined;
  /** Blobs transferred at once (1 for sequential destinations). */
  jobs: number;
  /** Gzip uncompressed layers on the way, where the destination can learn digests while streaming. */
  compressLayers?: boolean | undefined;
  onEvent?: CopyListener | undefined;
  /**
   * Retries a blob transfer that failed on the way (a reset upload) as a whole: the source read
   * again, a fresh upload session. Only into parallel destinations (store.ts `sequential`).
   */
  retrier?: Retrier | undefined;
}

const UNCOMPRESSED_LAYERS: Record<string, string> = {
  [MediaType.ociLayer]: MediaType.ociLayerGzip,
  'application/vnd.docker.image.rootfs.diff.tar': MediaType.dockerLayerGzip,
};

export async function copyImage(
  source: ImageSource,
  destination: ImageDestination,
  options: CopyOptions,
): Promise<CopySummary> {
  const copier = new Copier(source, destination, options);
  try {
    const root = await source.root();
    const descriptor = await copier.copyRoot(root);
    await destination.commit();
    return { descriptor, ...copier.counts };
  } catch (err) {
    await destination.abort();
    throw err;
  }
}

class Copier {
  readonly counts = { copied: 0, skipped: 0, mounted: 0, bytes: 0, manifests: 0 };
  private readonly limit: <R>(task: () => Promise<R>) => Promise<R>;
  private readonly blobs = new Map<string, Promise<Descriptor>>();
  private readonly emit: CopyListener;
  /** The first blob failure; set, it stops queued transfers from starting. */
  private failure: unknown;
  /** Source streams being transferred now, so a failure elsewhere can stop them. */
  private readonly inflight = new Set<Readable>();

  constructor(
    private readonly source: ImageSource,
    private readonly destination: ImageDestination,
    private readonly options: CopyOptions,
  ) {
    this.limit = createLimiter(destination.sequential ? 1 : Math.max(1, options.jobs));
    this.emit = options.onEvent ?? (() => {});
  }

  async copyRoot(root: StoredManifest): Promise<Descriptor> {
    const parsed = parseManifest(
      root.bytes,
      root.descriptor.mediaType,
      `manifest of ${this.source.description}`,
    );
    const platforms = this.options.platforms ?? [];
    const { tag } = this.options;
    // The tag already names this very content (a re-copy): the registry accepted that manifest,
    // so everything under it is there. One HEAD instead of one per blob and a manifest PUT.
    if (platforms.length === 0 && tag !== undefined && this.destination.taggedDigest) {
      if ((await this.destination.taggedDigest(tag)) === root.descriptor.digest) {
        this.counts.skipped++;
        this.emit({ type: 'manifest-done', descriptor: root.descriptor, outcome: 'skipped' });
        return root.descriptor;
      }
    }
    if (parsed.kind === 'image' || platforms.length === 0) {
      return this.copyManifest(
        { ...root, descriptor: { ...root.descriptor, mediaType: parsed.mediaType } },
        this.options.tag,
      );
    }
    const chosen = this.pickChildren(parsed.index, platforms);
    if (chosen.length === 1) {
      const child = chosen[0] as Descriptor;
      return this.copyChild(child, this.options.tag);
    }
    // Several platforms: a new index holding just those children (children pushed first).
    const children = await this.forEach(chosen, (child) => this.copyChild(child));
    const index: ImageIndex = { ...parsed.index, manifests: children };
    const bytes = Buffer.from(JSON.stringify(index, null, 2));
    const descriptor: Descriptor = {
      mediaType: parsed.mediaType,
      digest: digestOf(bytes),
      size: bytes.length,
    };
    await this.putManifest({ descriptor, bytes }, this.options.tag);
    return descriptor;
  }

  private pickChildren(index: ImageIndex, platforms: readonly Platform[]): Descriptor[] {
    const chosen: Descriptor[] = [];
    for (const platform of platforms) {
      const child = selectPlatform(index.manifests, platform);
      if (!child)
        throw new NotFoundError(
          `${this.source.description} has no image for platform ${formatPlatform(platform)}`,
        );
      if (!chosen.some((c) => c.digest === child.digest)) chosen.push(child);
      this.emit({
        type: 'platform-picked',
        descriptor: child,
        platform: formatPlatform(child.platform ?? platform),
      });
    }
    // Keep the source index's order, so the same request gives the same index (and digest).
    return index.manifests.filter((d) => chosen.includes(d));
  }

  /** Fetches an index's child from the source and copies it like any manifest. */
  private async copyChild(child: Descriptor, tag?: string): Promise<Descriptor> {
    return this.copyManifest({ descriptor: child, bytes: await this.source.manifest(child) }, tag);
  }

  /** Copies a manifest's whole tree, then the manifest; returns its descriptor at the destination. */
  private async copyManifest(manifest: StoredManifest, tag?: string): Promise<Descriptor> {
    const { descriptor } = manifest;
    if (tag === undefined && (await this.destination.hasManifest(descriptor))) {
      this.counts.skipped++;
      this.emit({ type: 'manifest-done', descriptor, outcome: 'skipped' });
      return descriptor;
    }
    const parsed = parseManifest(manifest.bytes, descriptor.mediaType, `manifest ${descriptor.digest}`);
    if (parsed.kind === 'index') {
      await this.forEach(parsed.index.manifests, (child) => this.copyChild(child));
      await this.putManifest(manifest, tag);
      return descriptor;
    }
    const blobs = [parsed.manifest.config, ...parsed.manifest.layers];
    const copied = await this.forEach(blobs, (blob) => this.copyBlob(blob));
    const rewritten = copied.some((d, i) => d.digest !== blobs[i]?.digest);
    if (!rewritten) {
      await this.putManifest(manifest, tag);
      return descriptor;
    }
    // Layers were compressed on the way: the manifest names the new blobs (diff_ids in the config stay).
    const updated: ImageManifest = { ...parsed.manifest, layers: copied.slice(1) };
    const bytes = Buffer.from(JSON.stringify(updated, null, 3));
    const next: Descriptor = { ...descriptor, digest: digestOf(bytes), size: bytes.length };
    await this.putManifest({ descriptor: next, bytes }, tag);
    return next;
  }

  private async putManifest(manifest: StoredManifest, tag: string | undefined): Promise<void> {
    await this.destination.putManifest(manifest, { tag });
    this.counts.manifests++;
    this.emit({ type: 'manifest-done', descriptor: manifest.descriptor, outcome: 'pushed' });
  }

  /**
   * Runs `task` for each item, in parallel unless the destination is sequential; keeps order. On
   * a failure it still waits for every task to settle (the others are stopped, see `fail`), so
   * their clean-up (cancelled upload sessions, removed temp files) is done before the copy
   * reports, and before the process exits under it. The first failure is the one reported.
   */
  private async forEach<T, R>(items: readonly T[], task: (item: T) => Promise<R>): Promise<R[]> {
    if (this.destination.sequential) {
      const results: R[] = [];
      for (const item of items) results.push(await task(item));
      return results;
    }
    const settled = await Promise.allSettled(items.map(task));
    const rejected = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (rejected) throw this.failure ?? rejected.reason;
    return settled.map((r) => (r as PromiseFulfilledResult<R>).value);
  }

  /** The first blob failure ends the copy: transfers in flight are stopped, queued ones never start. */
  private fail(err: unknown): void {
    if (this.failure !== undefined) return;
    this.failure = err;
    const reason = err instanceof Error ? err : new Error(String(err));
    for (const stream of this.inflight) stream.destroy(reason);
  }

  private copyBlob(descriptor: Descriptor): Promise<Descriptor> {
    let pending = this.blobs.get(descriptor.digest);
    if (!pending) {
      pending = this.limit(async () => {
        // Once one blob failed the copy is over: queued blobs do not start.
        if (this.failure) throw this.failure;
        try {
          return await this.transferBlob(descriptor);
        } catch (err) {
          this.fail(err);
          throw err;
        }
      });
      this.blobs.set(descriptor.digest, pending);
    }
    return pending;
  }

  private transferBlob(descriptor: Descriptor): Promise<Descriptor> {
    const { retrier } = this.options;
    if (!retrier || this.destination.sequential) return this.transferBlobOnce(descriptor);
    return retrier.run(`transfer of blob ${descriptor.digest}`, () => this.transferBlobOnce(descriptor));
  }

  /** HEAD, mount or stream one blob; on a retry the HEAD also finds a blob that did land. */
  private async transferBlobOnce(descriptor: Descriptor): Promise<Descriptor> {
    if (this.failure) throw this.failure;
    const compressTo = UNCOMPRESSED_LAYERS[descriptor.mediaType];
    const compress =
      this.options.compressLayers === true &&
      compressTo !== undefined &&
      this.destination.putBlobStream !== undefined;
    if (!compress && (await this.destination.hasBlob(descriptor))) {
      this.counts.skipped++;
      this.emit({ type: 'blob-done', descriptor, outcome: 'skipped', bytes: 0 });
      return descriptor;
    }
    if (
      !compress &&
      canMount(this.destination) &&
      (await this.destination.mountBlob(descriptor, this.source))
    ) {
      this.counts.mounted++;
      this.emit({ type: 'blob-done', descriptor, outcome: 'mounted', bytes: 0 });
      return descriptor;
    }
    this.emit({ type: 'blob-start', descriptor });
    const data = await this.source.blob(descriptor);
    this.inflight.add(data);
    let stored = descriptor;
    try {
      if (this.failure) throw this.failure;
      const counted = this.counting(descriptor, data);
      if (compress && this.destination.putBlobStream && compressTo) {
        const gzip = adaptiveGzip();
        stored = await this.destination.putBlobStream(chain(counted, gzip), compressTo);
      } else {
        await this.destination.putBlob(descriptor, counted);
      }
    } catch (err) {
      data.destroy();
      throw err;
    } finally {
      this.inflight.delete(data);
    }
    this.counts.copied++;
    this.counts.bytes += descriptor.size;
    this.emit({ type: 'blob-done', descriptor, outcome: 'copied', bytes: descriptor.size });
    return stored;
  }

  /** Passes the stream through unchanged, reporting bytes as they go. */
  private counting(descriptor: Descriptor, stream: Readable): Readable {
    if (!this.options.onEvent) return stream;
    let bytes = 0;
    const counter = new Transform({
      highWaterMark: 1024 * 1024,
      transform: (chunk: Buffer, _enc, done) => {
        bytes += chunk.length;
        this.emit({ type: 'blob-progress', descriptor, bytes });
        done(null, chunk);
      },
    });
    return chain(stream, counter);
  }
}
