/**
 * The copy of one image graph, written once for every pair of stores (architecture.md §7):
 *
 *   root ─┬─ index: each child (or the chosen platforms' children) copied first, then the index
 *         └─ image: config and layers in parallel, then the manifest
 *
 * Copying a node returns the descriptor it has at the destination, and a parent is built from its
 * children's returned descriptors (rebuild.ts): unchanged children leave the parent's bytes, and
 * so its digest, as they were; a changed child (a layer gzip'd by the layer policy) gives its
 * parents new bytes all the way up, so no parent can name what the destination does not hold.
 *
 * Order: children before parents, blobs before manifests, the tag last. A registry refuses a
 * manifest whose blobs are missing (MANIFEST_BLOB_UNKNOWN), and a tag must never point at
 * something incomplete. A blob the destination already has is skipped after a HEAD (all of an
 * image's HEADs go out at once, ahead of the transfers); a child manifest it already has is
 * skipped with all its blobs; a blob that sits elsewhere on the destination's registry is mounted.
 * A re-copy whose tag already names the source's content stops after one HEAD, when nothing
 * would change on the way (no layer policy transforms, no platform picked) and the destination
 * vouches for what its tags name (store.ts TagState).
 *
 * --no-clobber leaves an existing tag alone, and is refused (a UsageError, before anything is
 * written) where the destination cannot tell whether the tag exists: "cannot tell" is never
 * taken for "absent", which would overwrite what the user asked to keep.
 *
 * Failure: the first failure of an image ends it. Its transfers in flight are stopped (unless
 * another image of the run waits for them, session.ts), queued ones never start, and every
 * transfer settles before the destination is aborted, so clean-up (cancelled upload sessions,
 * removed temp files) is done before the copy reports. The copy's own failure is the one thrown;
 * a clean-up that fails too is said as a 'warning' event.
 */
import { createReadStream } from 'node:fs';
import { Readable, Transform } from 'node:stream';
import { VerifyingStream } from '../digest/index.js';
import { UsageError } from '../errors.js';
import type { Retrier } from '../http/retry.js';
import { summarizeConfig } from '../image/config.js';
import type { Descriptor, Platform } from '../image/descriptor.js';
import { type ImageIndex, type ImageManifest, parseManifest } from '../image/manifest.js';
import { formatPlatform, hostPlatform } from '../image/platform.js';
import type { BlobPlace, ImageDestination, ImageSource, StoredManifest, TagState } from '../store/store.js';
import { chain } from '../util/chain.js';
import {
  type BlobOutcome,
  type Change,
  type CopyListener,
  type CopySummary,
  REBUILT_CHILDREN,
  REBUILT_LAYERS,
} from './events.js';
import type { LayerPolicy } from './layer-policy.js';
import { checkImagePlatform, pickChildren } from './platforms.js';
import { rebuildIndex, rebuildManifest, unchanged } from './rebuild.js';
import type { CopySession } from './session.js';

export interface ImageCopyOptions {
  /**
   * Copy only these platforms of an index: one gives that image alone, several a new index of
   * them. Of a single image, it must be of these platforms.
   */
  platforms?: readonly Platform[] | undefined;
  /** Point this tag at the copied root; without it the root is stored by digest only. */
  tag?: string | undefined;
  /** Leave the tag alone when it exists at the destination (--no-clobber): nothing is copied. */
  noClobber?: boolean | undefined;
  /** The destination answered, just before, that the tag does not exist (transfer.ts). */
  tagSeenAbsent?: boolean | undefined;
  layers: LayerPolicy;
  onEvent?: CopyListener | undefined;
  /**
   * Retries a blob transfer that failed on the way (a reset upload) as a whole: the source read
   * again, a fresh upload session. Only into parallel destinations (store.ts `sequential`).
   */
  retrier?: Retrier | undefined;
  /** More of the source's graph copied into the same destination before it commits (referrers.ts). */
  extend?: GraphExtension | undefined;
}

/** What an extension of a copy (ImageCopyOptions.extend) may ask of it. */
export interface GraphCopy {
  /**
   * Copies a manifest read from the source, and everything under it, the way an index's child is
   * copied (blobs first, digests kept; skipped when the destination has it, unless `tag` is to
   * be set on it); returns its descriptor at the destination.
   */
  copyManifest(manifest: StoredManifest, tag?: string): Promise<Descriptor>;
  /** The counts so far, the extension's copies included. */
  totals(): Pick<CopySummary, 'copied' | 'skipped' | 'mounted' | 'bytes' | 'manifests'>;
}

export interface GraphExtension {
  /** Runs once the image is copied, before the destination commits; returns the summary to report. */
  run(graph: GraphCopy, summary: CopySummary): Promise<CopySummary>;
}

/** Image configs are read whole to check a platform; anything this large is no config. */
const MAX_CONFIG_BYTES = 16 * 1024 * 1024;

/** Copies the image graph `source` names into `destination`, commits it, and aborts it on failure. */
export async function copyImageGraph(
  session: CopySession,
  source: ImageSource,
  destination: ImageDestination,
  options: ImageCopyOptions,
): Promise<CopySummary> {
  const copy = new ImageCopy(session, source, destination, options);
  try {
    const copied = await copy.run();
    const summary = options.extend ? await options.extend.run(copy, copied) : copied;
    await destination.commit();
    return summary;
  } catch (err) {
    copy.fail(err);
    const failure = copy.firstFailure ?? err;
    await abortDestination(destination, options.onEvent);
    throw failure;
  }
}

/**
 * Aborts a destination after a failure without letting the abort's own failure take the place of
 * the one that caused it (that is what the user must see, with its exit code): a failed clean-up
 * is said as a warning instead.
 */
export async function abortDestination(
  destination: ImageDestination,
  onEvent: CopyListener | undefined,
): Promise<void> {
  try {
    await destination.abort();
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    onEvent?.({
      type: 'warning',
      message: `could not clean up ${destination.description} after the failure: ${why}`,
    });
  }
}

/** What a blob transfer shared by the images of a run (session.ts) gives each of them. */
interface MovedBlob {
  /** The blob as the destination holds it. */
  descriptor: Descriptor;
  /** How it differs from the source's (a layer gzip'd), for every image that names it to record. */
  change?: Change | undefined;
}

class ImageCopy implements GraphCopy {
  private readonly counts = { copied: 0, skipped: 0, mounted: 0, bytes: 0, manifests: 0 };
  private readonly changes: Change[] = [];
  private readonly emit: CopyListener;
  private readonly destinationKey: string;
  /** Configs read whole (for a platform check) are served from here, not fetched again. */
  private readonly configs = new Map<string, Buffer>();
  /** The source node that became the destination's root, when not the source's root (one platform picked). */
  private rootSource: Descriptor | undefined;
  /** What the destination's tag named before the copy, where it vouches for everything under it. */
  private taggedDigest: string | undefined;
  /** The root was not put: the tag named it already. */
  private rootInStep = false;
  /** The first failure; once set, queued work does not start. */
  firstFailure: unknown;

  constructor(
    private readonly session: CopySession,
    private readonly source: ImageSource,
    private readonly destination: ImageDestination,
    private readonly options: ImageCopyOptions,
  ) {
    this.emit = options.onEvent ?? (() => {});
    this.destinationKey = session.keyOf(destination);
  }

  fail(err: unknown): void {
    if (this.firstFailure !== undefined) return;
    this.firstFailure = err;
    this.session.release(this, err);
  }

  private check(): void {
    if (this.firstFailure !== undefined) throw this.firstFailure;
  }

  copyManifest(manifest: StoredManifest, tag?: string): Promise<Descriptor> {
    return this.copyChild(manifest.descriptor, manifest.bytes, tag);
  }

  totals(): Pick<CopySummary, 'copied' | 'skipped' | 'mounted' | 'bytes' | 'manifests'> {
    return { ...this.counts };
  }

  async run(): Promise<CopySummary> {
    const platforms = this.options.platforms ?? [];
    const { tag, noClobber } = this.options;
    // A copy that would write the source's root as it is: a tag naming it already may leave
    // nothing to do. Not so when a layer is transformed on the way (after a push with --compress
    // none, a push with the default policy must still gzip the layers the tag names plain).
    const asIs = platforms.length === 0 && !this.options.layers.transforms;
    // With platforms picked (and no layer transformed) the new root is known only once built, but
    // it is the same on every run: a tag that names it already need not be put again (a mirror
    // of two platforms of an index, run again, uploads nothing).
    const askTag = noClobber || !this.options.layers.transforms;
    // What the tag names now, asked while the source's root is fetched: a tag that already names
    // the source's content (a re-copy) means the destination accepted that manifest, so
    // everything under it is there (when it vouches for that); with --no-clobber any existing tag
    // ends the copy.
    const tagged: Promise<TagState> | undefined =
      tag === undefined || !askTag
        ? undefined
        : this.options.tagSeenAbsent
          ? Promise.resolve({ kind: 'absent' })
          : this.destination.tagged(tag);
    tagged?.catch(() => {});
    const root = await this.source.root();
    const parsed = parseManifest(
      root.bytes,
      root.descriptor.mediaType,
      `manifest of ${this.source.description}`,
    );
    const descriptor = { ...root.descriptor, mediaType: parsed.mediaType };
    const summary = (result: Descriptor, outcome?: CopySummary['outcome']): CopySummary => ({
      descriptor: result,
      sourceDigest: (this.rootSource ?? root.descriptor).digest,
      outcome:
        outcome ??
        (this.rootInStep && this.counts.copied + this.counts.mounted + this.counts.manifests === 0
          ? 'in-step'
          : 'copied'),
      ...this.counts,
      changes: this.changes,
    });
    const existing = await tagged;
    if (existing?.kind === 'names' && existing.complete) this.taggedDigest = existing.descriptor.digest;
    if (noClobber && existing?.kind === 'unknown')
      throw new UsageError(
        `--no-clobber: ${this.destination.description} cannot tell whether tag '${tag}' exists (${existing.why}); nothing was copied`,
        { hint: 'drop -n to replace it, or name another destination' },
      );
    if (existing?.kind === 'names') {
      if (noClobber) return summary(existing.descriptor, 'existing');
      if (asIs && existing.complete && existing.descriptor.digest === root.descriptor.digest) {
        this.emit({ type: 'manifest-done', descriptor, outcome: 'skipped' });
        return summary(descriptor, 'in-step');
      }
    }
    const stored = { descriptor, bytes: root.bytes };
    if (parsed.kind === 'image') {
      if (platforms.length > 0) await this.checkPlatform(parsed.manifest, platforms);
      return summary(await this.copyImage(stored, parsed.manifest, tag));
    }
    if (this.destination.traits.holds === 'one-image') {
      if (platforms.length > 1)
        throw new UsageError(`${this.destination.description} holds one image: give at most one --platform`);
      const wanted = platforms[0] ?? hostPlatform();
      return summary(await this.copyOnePlatform(stored, parsed.index, wanted, tag));
    }
    if (platforms.length === 1)
      return summary(await this.copyOnePlatform(stored, parsed.index, platforms[0]!, tag));
    if (platforms.length > 1) {
      const { images, children } = pickChildren(parsed.index, platforms, this.source.description);
      for (const { descriptor: child } of images) this.emitPicked(child, child.platform, descriptor);
      return summary(await this.copyIndex(stored, children, tag, 'only the platforms asked for'));
    }
    return summary(await this.copyIndex(stored, parsed.index.manifests, tag));
  }

  /**
   * One image out of an index, copied as the root (with the tag); which one is said (an event,
   * naming the index left out: its referrers cannot follow, referrers.ts).
   */
  private async copyOnePlatform(
    stored: StoredManifest,
    index: ImageIndex,
    wanted: Platform,
    tag: string | undefined,
  ): Promise<Descriptor> {
    const [picked] = pickChildren(index, [wanted], this.source.description).images;
    const child = picked!.descriptor;
    this.rootSource = child;
    this.emitPicked(child, child.platform ?? wanted, stored.descriptor);
    const bytes = await this.source.manifest(child);
    const parsed = parseManifest(bytes, child.mediaType, `manifest ${child.digest}`);
    if (parsed.kind === 'index')
      return this.copyIndex({ descriptor: child, bytes }, parsed.index.manifests, tag);
    return this.copyImage(
      { descriptor: { ...child, mediaType: parsed.mediaType }, bytes },
      parsed.manifest,
      tag,
    );
  }

  private emitPicked(descriptor: Descriptor, platform: Platform | undefined, from: Descriptor): void {
    if (platform)
      this.emit({ type: 'platform-picked', descriptor, platform: formatPlatform(platform), from });
  }

  /** Reads a single image's config (once) and checks it is of the platforms asked for. */
  private async checkPlatform(manifest: ImageManifest, platforms: readonly Platform[]): Promise<void> {
    const config = manifest.config;
    if (config.size > MAX_CONFIG_BYTES) return;
    const chunks: Buffer[] = [];
    for await (const chunk of await this.source.blob(config)) chunks.push(chunk as Buffer);
    const bytes = Buffer.concat(chunks);
    this.configs.set(config.digest, bytes);
    let platform: Platform | undefined;
    try {
      platform = summarizeConfig(bytes).platform;
    } catch {
      platform = undefined; // not an image config (an artifact): nothing to check against
    }
    checkImagePlatform(platform, platforms, this.source.description);
  }

  /**
   * Copies an index's children (all, or those chosen), then the index: its own bytes when every
   * child kept its descriptor and none was left out, else new bytes naming what the destination holds.
   */
  private async copyIndex(
    index: StoredManifest,
    children: readonly Descriptor[],
    tag: string | undefined,
    leftOut?: string,
  ): Promise<Descriptor> {
    const copied = await this.forEach(children, (child) => this.copyChild(child));
    const moved = children.map((original, i) => ({ original, now: copied[i]! }));
    if (leftOut === undefined && moved.every((c) => unchanged(c.original, c.now))) {
      await this.putManifest(index, tag);
      return index.descriptor;
    }
    const rebuilt = rebuildIndex(index, moved);
    this.record({
      kind: 'rebuilt',
      from: index.descriptor,
      to: rebuilt.descriptor,
      reason: leftOut ?? REBUILT_CHILDREN,
    });
    await this.putManifest(rebuilt, tag);
    return rebuilt.descriptor;
  }

  /**
   * An index's child, skipped whole when the destination has it already (and nothing would change
   * it). `fetched`: its bytes, already read; `tag`: also point this tag at it (never skipped then).
   */
  private async copyChild(child: Descriptor, fetched?: Buffer, tag?: string): Promise<Descriptor> {
    this.check();
    const maySkip = !this.options.layers.transforms && tag === undefined;
    const [present, bytes] = await Promise.all([
      maySkip ? this.destination.hasManifest(child) : false,
      fetched ?? this.source.manifest(child),
    ]);
    if (present) {
      this.counts.skipped++;
      this.emit({ type: 'manifest-done', descriptor: child, outcome: 'skipped' });
      return child;
    }
    const parsed = parseManifest(bytes, child.mediaType, `manifest ${child.digest}`);
    const stored = { descriptor: { ...child, mediaType: parsed.mediaType }, bytes };
    return parsed.kind === 'index'
      ? this.copyIndex(stored, parsed.index.manifests, tag)
      : this.copyImage(stored, parsed.manifest, tag);
  }

  /** Copies an image's config and layers, then its manifest (rebuilt if a layer changed). */
  private async copyImage(
    manifest: StoredManifest,
    parsed: ImageManifest,
    tag: string | undefined,
  ): Promise<Descriptor> {
    const blobs = [parsed.config, ...parsed.layers];
    this.emit({ type: 'blobs-planned', descriptors: blobs });
    const copied = await this.forEach(blobs, (blob, i) => this.copyBlob(blob, i > 0));
    if (blobs.every((blob, i) => unchanged(blob, copied[i]!))) {
      await this.putManifest(manifest, tag);
      return manifest.descriptor;
    }
    const rebuilt = rebuildManifest(
      manifest,
      { config: parsed.config, layers: parsed.layers },
      { config: copied[0]!, layers: copied.slice(1) },
    );
    this.record({
      kind: 'rebuilt',
      from: manifest.descriptor,
      to: rebuilt.descriptor,
      reason: REBUILT_LAYERS,
    });
    await this.putManifest(rebuilt, tag);
    return rebuilt.descriptor;
  }

  private async putManifest(manifest: StoredManifest, tag: string | undefined): Promise<void> {
    this.check();
    if (tag !== undefined && tag === this.options.tag && manifest.descriptor.digest === this.taggedDigest) {
      this.rootInStep = true;
      this.emit({ type: 'manifest-done', descriptor: manifest.descriptor, outcome: 'skipped' });
      return;
    }
    await this.destination.putManifest(manifest, { tag });
    this.counts.manifests++;
    this.emit({ type: 'manifest-done', descriptor: manifest.descriptor, outcome: 'pushed' });
  }

  /**
   * Runs `task` for each item, in parallel unless the destination is sequential; keeps order. On a
   * failure it still waits for every task to settle (the others are stopped, see `fail`), so
   * their clean-up is done before the copy reports. The first failure is the one reported.
   */
  private async forEach<T, R>(
    items: readonly T[],
    task: (item: T, index: number) => Promise<R>,
  ): Promise<R[]> {
    if (this.destination.traits.sequential) {
      const results: R[] = [];
      for (const [i, item] of items.entries()) results.push(await task(item, i));
      return results;
    }
    const settled = await Promise.allSettled(
      items.map(async (item, i) => {
        try {
          return await task(item, i);
        } catch (err) {
          this.fail(err);
          throw err;
        }
      }),
    );
    const rejected = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (rejected) throw this.firstFailure ?? rejected.reason;
    return settled.map((r) => (r as PromiseFulfilledResult<R>).value);
  }

  /** One blob into the destination, once per run however many images of the run need it. */
  private async copyBlob(descriptor: Descriptor, isLayer: boolean): Promise<Descriptor> {
    this.check();
    const action = isLayer ? this.options.layers.actionFor(descriptor) : { kind: 'keep' as const };
    const key = `${this.destinationKey}\0${action.kind}\0${descriptor.digest}`;
    const { value, started } = await this.session.share(key, this, async (signal): Promise<MovedBlob> => {
      try {
        return action.kind === 'gzip'
          ? await this.compressBlob(descriptor, action.mediaType, action.reason, signal)
          : { descriptor: await this.keepBlob(descriptor, signal) };
      } catch (err) {
        // Said at once, before the limiter's slot passes on: the next queued transfer of this
        // image must find the copy failed, not start.
        this.fail(err);
        throw err;
      }
    });
    if (!started) {
      // Another image of this run moved it: for this image it was already there. Changed on the
      // way, it changes this image too (its manifest is rebuilt around it): said here as well.
      this.counts.skipped++;
      this.emit({ type: 'blob-done', descriptor, outcome: 'skipped', bytes: 0 });
      if (value.change) this.record(value.change);
    }
    return value.descriptor;
  }

  /** A change this copy made, in the summary and as an event. */
  private record(change: Change): void {
    this.changes.push(change);
    this.emit({ type: 'changed', change });
  }

  private done(descriptor: Descriptor, outcome: BlobOutcome): Descriptor {
    if (outcome === 'copied') {
      this.counts.copied++;
      this.counts.bytes += descriptor.size;
    } else this.counts[outcome]++;
    this.emit({ type: 'blob-done', descriptor, outcome, bytes: outcome === 'copied' ? descriptor.size : 0 });
    const place = this.destination.traits.place;
    if (place) this.session.recordLanded(descriptor.digest, place);
    return descriptor;
  }

  /**
   * A blob kept as it is: mounted when it sits elsewhere on the destination's registry (no HEAD
   * first: a mount of a blob the repository has already answers 201 too), else skipped when the
   * destination has it, else streamed. The HEAD and the mount go out at once for all of an
   * image's blobs; only the streams wait for a slot of the run's limiter.
   */
  private async keepBlob(descriptor: Descriptor, signal: AbortSignal): Promise<Descriptor> {
    const from = this.mountSource(descriptor);
    if (from && (await this.destination.mountBlob(descriptor, from))) return this.done(descriptor, 'mounted');
    if (await this.destination.hasBlob(descriptor)) return this.done(descriptor, 'skipped');
    return this.limited(signal, () => {
      const { retrier } = this.options;
      const transfer = async (attempt: number): Promise<Descriptor> => {
        // A retried transfer may have landed after all (the answer was lost, not the upload).
        if (attempt > 0 && (await this.destination.hasBlob(descriptor)))
          return this.done(descriptor, 'skipped');
        await this.destination.putBlob(descriptor, () => this.open(descriptor, signal));
        return this.done(descriptor, 'copied');
      };
      if (!retrier || this.destination.traits.sequential) return transfer(0);
      return retrier.run(`transfer of blob ${descriptor.digest}`, transfer);
    });
  }

  /**
   * Runs a transfer in a slot of the run's limiter. A failure is said (fail) before the slot is
   * given back, so the next queued transfer of this image finds the copy failed and does not
   * start; one that another image of the run also waits for still runs (session.ts).
   */
  private limited<R>(signal: AbortSignal, transfer: () => Promise<R>): Promise<R> {
    return this.session.limit(async () => {
      if (signal.aborted) throw signal.reason;
      try {
        return await transfer();
      } catch (err) {
        this.fail(err);
        throw err;
      }
    });
  }

  /**
   * Where on the destination's own registry the blob already sits, in another repository: the
   * source's repository when the source is on that registry, or one this run wrote it to.
   */
  private mountSource(descriptor: Descriptor): BlobPlace | undefined {
    const target = this.destination.traits.place;
    if (!target) return undefined;
    const near = (place: BlobPlace | undefined) =>
      place && place.registry === target.registry && place.repository !== target.repository
        ? place
        : undefined;
    return near(this.source.placeOf(descriptor)) ?? this.session.landedNear(descriptor.digest, target);
  }

  /**
   * A layer gzip'd on the way (layer-policy.ts), compressed first into a temp file
   * (layer-packer.ts): its digest is then known before anything is stored, so a destination that
   * has it (a re-push of the same archive) is asked, and the upload has a known digest and size.
   * The temp file is the engine's own, hashed as it was written: it is counted, not hashed again.
   */
  private async compressBlob(
    descriptor: Descriptor,
    mediaType: string,
    reason: string,
    signal: AbortSignal,
  ): Promise<MovedBlob> {
    return this.limited(signal, async () => {
      const packer = this.session.gzip();
      const packed = await packer.pack(await this.open(descriptor, signal));
      try {
        const to: Descriptor = { ...descriptor, mediaType, digest: packed.digest, size: packed.size };
        const change: Change = { kind: 'compressed', from: descriptor, to, reason };
        this.record(change);
        const store = async (): Promise<BlobOutcome> => {
          // Asked before every attempt: a layer pushed before comes out with the same digest.
          if (await this.destination.hasBlob(to)) return 'skipped';
          const open = async () =>
            chain(
              createReadStream(packed.path, { highWaterMark: 256 * 1024 }),
              new VerifyingStream({
                digest: to.digest,
                size: to.size,
                what: `layer ${to.digest}`,
                hash: false,
              }),
            );
          await this.destination.putBlob(to, open);
          return 'copied';
        };
        const { retrier } = this.options;
        const outcome =
          !retrier || this.destination.traits.sequential
            ? await store()
            : await retrier.run(`transfer of blob ${to.digest}`, store);
        if (outcome === 'copied') {
          this.counts.copied++;
          this.counts.bytes += to.size; // what went to the destination: the gzip'd bytes
        } else this.counts.skipped++;
        // Named as blob-start named it (the source's blob, whose bytes the progress counted), so
        // `bytes` is of that blob too; the gzip'd one is in the 'changed' event.
        this.emit({
          type: 'blob-done',
          descriptor,
          outcome,
          bytes: outcome === 'copied' ? descriptor.size : 0,
        });
        return { descriptor: to, change };
      } finally {
        await packer.discard(packed);
      }
    });
  }

  /** The source's verified stream of a blob, stopped when `signal` aborts, counted for progress. */
  private async open(descriptor: Descriptor, signal: AbortSignal): Promise<Readable> {
    if (signal.aborted) throw signal.reason;
    const held = this.configs.get(descriptor.digest);
    const data = held ? Readable.from([held], { objectMode: false }) : await this.source.blob(descriptor);
    if (signal.aborted) {
      data.destroy();
      throw signal.reason;
    }
    const stop = (): void => {
      data.destroy(signal.reason instanceof Error ? signal.reason : new Error(String(signal.reason)));
    };
    signal.addEventListener('abort', stop, { once: true });
    data.once('close', () => signal.removeEventListener('abort', stop));
    this.emit({ type: 'blob-start', descriptor });
    return this.counting(descriptor, data);
  }

  /** Passes the stream through unchanged, reporting bytes as they go. */
  private counting(descriptor: Descriptor, stream: Readable): Readable {
    if (!this.options.onEvent) return stream;
    let bytes = 0;
    const counter = new Transform({
      transform: (chunk: Buffer, _enc, done) => {
        bytes += chunk.length;
        this.emit({ type: 'blob-progress', descriptor, bytes });
        done(null, chunk);
      },
    });
    return chain(stream, counter);
  }
}
