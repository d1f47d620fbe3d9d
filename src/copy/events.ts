/**
 * What a copy reports as it goes. copy/ only emits these; ui/progress.ts decides how (or
 * whether) a person sees them, so the engine never writes to a terminal.
 */
import type { Descriptor } from '../image/descriptor.js';

export type BlobOutcome = 'copied' | 'skipped' | 'mounted';

export type CopyEvent =
  | { type: 'blob-start'; descriptor: Descriptor }
  | { type: 'blob-progress'; descriptor: Descriptor; bytes: number }
  | { type: 'blob-done'; descriptor: Descriptor; outcome: BlobOutcome; bytes: number }
  | { type: 'manifest-done'; descriptor: Descriptor; outcome: 'pushed' | 'skipped' }
  | { type: 'platform-picked'; descriptor: Descriptor; platform: string };

export type CopyListener = (event: CopyEvent) => void;

export interface CopySummary {
  /** The destination's root: the manifest or index the tag now points at. */
  descriptor: Descriptor;
  copied: number;
  skipped: number;
  mounted: number;
  /** Bytes actually transferred (not skipped or mounted). */
  bytes: number;
  manifests: number;
}
