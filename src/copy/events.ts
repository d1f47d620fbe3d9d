/**
 * What a copy reports as it goes. copy/ only emits these; ui/progress.ts decides how (or
 * whether) a person sees them, so the engine never writes to a terminal.
 */
import type { Descriptor } from '../image/descriptor.js';

export type BlobOutcome = 'copied' | 'skipped' | 'mounted';

/**
 * A change the copy made to what it moved, said to the user because a digest differs from the
 * source's: a layer compressed (policy or --compress), a manifest or index rebuilt around changed
 * or left-out children.
 */
export interface Change {
  kind: 'compressed' | 'rebuilt';
  from: Descriptor;
  to: Descriptor;
  reason: string;
}

/** The reasons of a rebuild that only follows from other changes (a layer compressed, a child rebuilt). */
export const REBUILT_LAYERS = 'its layers were compressed';
export const REBUILT_CHILDREN = 'its children changed';

export type CopyEvent =
  /** An image's blobs, once its manifest is read: what the copy will move or find there. */
  | { type: 'blobs-planned'; descriptors: readonly Descriptor[] }
  | { type: 'blob-start'; descriptor: Descriptor }
  | { type: 'blob-progress'; descriptor: Descriptor; bytes: number }
  /**
   * `descriptor` is the source's blob, as blob-start and blob-progress named it (a layer gzip'd
   * on the way too: the blob it became is in its 'changed' event); `bytes` is that blob's size
   * when it was copied, 0 when skipped or mounted.
   */
  | { type: 'blob-done'; descriptor: Descriptor; outcome: BlobOutcome; bytes: number }
  | { type: 'manifest-done'; descriptor: Descriptor; outcome: 'pushed' | 'skipped' }
  /** A platform's image picked out of the index `from` (--platform, or a one-image destination). */
  | { type: 'platform-picked'; descriptor: Descriptor; platform: string; from: Descriptor }
  | { type: 'changed'; change: Change }
  /** Something went wrong beside the copy's own outcome (a clean-up after a failure failed too). */
  | { type: 'warning'; message: string };

export type CopyListener = (event: CopyEvent) => void;

export interface CopySummary {
  /** The destination's root: the manifest or index the tag now points at. */
  descriptor: Descriptor;
  /**
   * The digest of the source node the destination's root came from, before any change: the
   * source's root, or the one image picked out of its index (a single --platform, a docker-archive).
   */
  sourceDigest: string;
  /**
   * 'in-step': the destination tag already named this content (the source's root, or what
   * picking platforms makes of it), so nothing was written;
   * 'existing': --no-clobber found the tag at the destination and left it (the descriptor is
   * what it names).
   */
  outcome: 'copied' | 'in-step' | 'existing';
  copied: number;
  skipped: number;
  mounted: number;
  /** Bytes actually transferred (not skipped or mounted). */
  bytes: number;
  manifests: number;
  /** What the copy changed, when the destination's digest is not the source's. */
  changes: Change[];
  /** The referrers of what was copied (referrers.ts); absent where neither side can hold any. */
  referrers?: ReferrersSummary | undefined;
}

export interface ReferrersSummary {
  /** Whether the copy followed them (`-r`): else they were only counted. */
  followed: boolean;
  /** Referrers copied (with `-r`), recursively, legacy cosign tags included. */
  copied: number;
  /**
   * Referrers not copied: without `-r`, those of every manifest copied; with it, those of a
   * manifest whose digest changed on the way (they name a digest the destination does not hold);
   * either way, those of an index one platform was picked out of (the destination holds the image
   * alone, not the index they name). null when they could not be counted (the copy itself went
   * well).
   */
  left: number | null;
}
