/** What `pull`, `push` and `copy` print when done (see index.ts). */
import type { CopySummary } from '../../copy/events.js';
import type { Descriptor } from '../../image/descriptor.js';
import { describeLocation, type Location } from '../../store/location.js';
import { f, t } from '../shape.js';

// ---- pull, push, copy -------------------------------------------------------------------------

const descriptorShape = t.object({
  mediaType: f(t.string, 'its media type'),
  digest: f(t.string, 'its digest'),
  size: f(t.number, 'its size in bytes'),
});

export const transferShape = t.object({
  source: f(
    t.string,
    'where the image came from: `docker://host/repo:tag`, `oci:DIR:TAG`, `docker-archive:FILE`…',
  ),
  destination: f(t.string, 'where it went, written the same way'),
  outcome: f(
    t.string,
    '`copied`; `in-step` (the destination tag already named this content, or what `--platform` makes of it: nothing was written); `existing` (`--no-clobber` left the tag as it was); `failed` (see `error`)',
  ),
  digest: f(
    t.nullable(t.string),
    'the digest of what the destination now holds (the index, or the one manifest); null when failed',
  ),
  mediaType: f(t.nullable(t.string), 'the media type of that manifest or index; null when failed'),
  size: f(t.nullable(t.number), 'the size of that manifest or index in bytes; null when failed'),
  sourceDigest: f(
    t.nullable(t.string),
    'the digest of what was copied, at the source (its root, or the one image picked out of an index); it differs from `digest` only when the copy changed something (`changes` says what); null when failed',
  ),
  copied: f(t.number, 'blobs transferred'),
  skipped: f(t.number, 'blobs the destination already had'),
  mounted: f(t.number, 'blobs mounted from another repository of the same registry'),
  bytes: f(t.number, 'bytes transferred (not skipped or mounted)'),
  manifests: f(t.number, 'manifests and indexes written'),
  existing: f(
    t.boolean,
    'true when `copy --no-clobber` left an existing destination tag alone: nothing was copied, and the digest is the one already there',
  ),
  changes: f(
    t.list(
      t.object({
        kind: f(
          t.string,
          "`compressed` (a layer gzip'd on the way) or `rebuilt` (a manifest or index with new children)",
        ),
        from: f(descriptorShape, 'the source descriptor'),
        to: f(descriptorShape, 'what the destination holds instead'),
        reason: f(t.string, 'why, in words'),
      }),
    ),
    'what the copy changed, so that `digest` differs from `sourceDigest`; empty when every digest was kept',
  ),
  error: f(t.nullable(t.string), 'why a failed item failed (the one-line message); null otherwise'),
  referrers: f(
    t.number,
    'referrers taken along with `-r` (signatures, SBOMs, attestations, and theirs), each now at the destination; 0 without `-r`',
  ),
  referrersLeft: f(
    t.nullable(t.number),
    'referrers not taken: without `-r`, those of the manifests copied; with it, those of a manifest whose digest changed on the way; either way, those of an index a single `--platform` was picked out of; 0 where the source holds none; null when they could not be counted',
  ),
});
export interface TransferJson {
  source: string;
  destination: string;
  outcome: 'copied' | 'in-step' | 'existing' | 'failed';
  digest: string | null;
  mediaType: string | null;
  size: number | null;
  sourceDigest: string | null;
  copied: number;
  skipped: number;
  mounted: number;
  bytes: number;
  manifests: number;
  existing: boolean;
  changes: { kind: string; from: Descriptor; to: Descriptor; reason: string }[];
  error: string | null;
  referrers: number;
  referrersLeft: number | null;
}

const brief = (d: Descriptor): Descriptor => ({ mediaType: d.mediaType, digest: d.digest, size: d.size });

export const transferJson = (
  source: Location,
  destination: Location,
  summary: CopySummary,
): TransferJson => ({
  source: describeLocation(source),
  destination: describeLocation(destination),
  outcome: summary.outcome,
  digest: summary.descriptor.digest,
  mediaType: summary.descriptor.mediaType,
  size: summary.descriptor.size,
  sourceDigest: summary.sourceDigest,
  copied: summary.copied,
  skipped: summary.skipped,
  mounted: summary.mounted,
  bytes: summary.bytes,
  manifests: summary.manifests,
  existing: summary.outcome === 'existing',
  changes: summary.changes.map((c) => ({
    kind: c.kind,
    from: brief(c.from),
    to: brief(c.to),
    reason: c.reason,
  })),
  error: null,
  referrers: summary.referrers?.copied ?? 0,
  referrersLeft: summary.referrers ? summary.referrers.left : 0,
});

/** An item of a run of many (`copy -a`, `sync`) that failed. */
export const failedJson = (source: Location, destination: Location, message: string): TransferJson => ({
  source: describeLocation(source),
  destination: describeLocation(destination),
  outcome: 'failed',
  digest: null,
  mediaType: null,
  size: null,
  sourceDigest: null,
  copied: 0,
  skipped: 0,
  mounted: 0,
  bytes: 0,
  manifests: 0,
  existing: false,
  changes: [],
  error: message,
  referrers: 0,
  referrersLeft: null,
});
