/** What `pull`, `push` and `copy` print when done (see index.ts). */
import type { CopySummary } from '../../copy/events.js';
import { describeLocation, type Location } from '../../store/location.js';
import { f, t } from '../shape.js';
import { mediaTypeField } from './fields.js';

// ---- pull, push, copy -------------------------------------------------------------------------

export const transferShape = t.object({
  source: f(
    t.string,
    'where the image came from: `docker://host/repo:tag`, `oci:DIR:TAG`, `docker-archive:FILE`…',
  ),
  destination: f(t.string, 'where it went, written the same way'),
  digest: f(t.string, 'the digest of what the destination now holds (the index, or the one manifest)'),
  mediaType: mediaTypeField,
  size: f(t.number, 'the size of that manifest or index in bytes'),
  copied: f(t.number, 'blobs transferred'),
  skipped: f(t.number, 'blobs the destination already had'),
  mounted: f(t.number, 'blobs mounted from another repository of the same registry'),
  bytes: f(t.number, 'bytes transferred (not skipped or mounted)'),
  manifests: f(t.number, 'manifests and indexes written'),
  existing: f(
    t.boolean,
    'true when `copy --no-clobber` left an existing destination tag alone: nothing was copied, and the digest is the one already there',
  ),
});
export interface TransferJson {
  source: string;
  destination: string;
  digest: string;
  mediaType: string;
  size: number;
  copied: number;
  skipped: number;
  mounted: number;
  bytes: number;
  manifests: number;
  existing: boolean;
}
export const transferJson = (
  source: Location,
  destination: Location,
  summary: CopySummary,
): TransferJson => ({
  source: describeLocation(source),
  destination: describeLocation(destination),
  digest: summary.descriptor.digest,
  mediaType: summary.descriptor.mediaType,
  size: summary.descriptor.size,
  copied: summary.copied,
  skipped: summary.skipped,
  mounted: summary.mounted,
  bytes: summary.bytes,
  manifests: summary.manifests,
  existing: false,
});
/** A destination tag `copy --no-clobber` left alone: its own digest, nothing moved. */
export const existingJson = (
  source: Location,
  destination: Location,
  head: { digest: string; mediaType: string; size: number },
): TransferJson => ({
  ...transferJson(source, destination, {
    descriptor: head,
    copied: 0,
    skipped: 0,
    mounted: 0,
    bytes: 0,
    manifests: 0,
  }),
  existing: true,
});
