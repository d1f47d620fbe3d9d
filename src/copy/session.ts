/**
 * What every image copy of one run shares (architecture.md §7, "many images, one module"):
 * - one limiter on blob transfers, so `copy -a` or a mirror of many images moves at most `jobs`
 *   blobs at once in all, not `jobs` per image;
 * - one transfer per blob and destination: images that share a layer (the same base under many
 *   tags) wait for the one transfer of it instead of fetching it again;
 * - where blobs landed on a registry this run, so an image bound for another repository of the
 *   same registry mounts them from there (distribution-spec end-11) instead of moving them again;
 * - the layers gzip'd on the way, into temp files (layer-packer.ts); close() removes what is
 *   left of them.
 *
 * A shared transfer is stopped only when every image waiting for it has failed: one image's
 * failure never breaks another's copy.
 */
import type { BlobPlace, ImageDestination } from '../store/store.js';
import { createLimiter, type Limiter } from '../util/limit.js';
import { LayerPacker } from './layer-packer.js';

interface Shared<T> {
  result: Promise<T>;
  /** The image copies waiting for this transfer. */
  owners: Set<object>;
  controller: AbortController;
  settled: boolean;
}

export class CopySession {
  /** Blob transfers at once, across every image of the run. */
  readonly limit: Limiter;
  private readonly transfers = new Map<string, Shared<unknown>>();
  private readonly landed = new Map<string, BlobPlace[]>();
  private readonly keys = new WeakMap<ImageDestination, string>();
  private nextKey = 0;
  private packer: LayerPacker | undefined;

  constructor(readonly jobs: number) {
    this.limit = createLimiter(Math.max(1, jobs));
  }

  /**
   * A name for where a destination writes: the registry repository (several destination objects
   * of one run may write to it), else the object itself (a file is written by one copy).
   */
  keyOf(destination: ImageDestination): string {
    const place = destination.traits.place;
    if (place) return `${place.registry}/${place.repository}`;
    let key = this.keys.get(destination);
    if (key === undefined) {
      key = `#${this.nextKey++}`;
      this.keys.set(destination, key);
    }
    return key;
  }

  /**
   * The transfer named `key`: started by `start` if none is under way (or the last one failed),
   * else joined. `started` tells the caller whether this call did the work (and so counts it).
   */
  async share<T>(
    key: string,
    owner: object,
    start: (signal: AbortSignal) => Promise<T>,
  ): Promise<{ value: T; started: boolean }> {
    const running = this.transfers.get(key) as Shared<T> | undefined;
    // An aborted transfer (everyone waiting for it failed) is not joined: this caller starts anew.
    if (running && !running.controller.signal.aborted) {
      running.owners.add(owner);
      return { value: await running.result, started: false };
    }
    const controller = new AbortController();
    const shared: Shared<T> = {
      owners: new Set([owner]),
      controller,
      settled: false,
      result: start(controller.signal),
    };
    this.transfers.set(key, shared);
    try {
      return { value: await shared.result, started: true };
    } catch (err) {
      // A failed transfer is not remembered: another image may try it again.
      if (this.transfers.get(key) === shared) this.transfers.delete(key);
      throw err;
    } finally {
      shared.settled = true;
    }
  }

  /** `owner` failed: the transfers only it was waiting for are stopped (their streams destroyed). */
  release(owner: object, reason: unknown): void {
    for (const shared of this.transfers.values()) {
      if (!shared.owners.delete(owner) || shared.owners.size > 0 || shared.settled) continue;
      shared.controller.abort(reason);
    }
  }

  /** The layer compressor, made on first use. */
  gzip(): LayerPacker {
    this.packer ??= new LayerPacker();
    return this.packer;
  }

  /** Ends the run: removes what the compressor left. */
  async close(): Promise<void> {
    await this.packer?.close();
  }

  /** A blob now sits at `place` (a registry repository written this run). */
  recordLanded(digest: string, place: BlobPlace): void {
    const places = this.landed.get(digest) ?? [];
    if (!places.some((p) => p.registry === place.registry && p.repository === place.repository))
      places.push(place);
    this.landed.set(digest, places);
  }

  /** A repository of `registry` other than `repository` where this run put `digest`, if any. */
  landedNear(digest: string, target: BlobPlace): BlobPlace | undefined {
    return this.landed
      .get(digest)
      ?.find((p) => p.registry === target.registry && p.repository !== target.repository);
  }
}
