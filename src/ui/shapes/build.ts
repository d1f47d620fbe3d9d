/** What `append`, `mutate` and `index create/add/remove` print when done (see index.ts). */
import type { CopySummary } from '../../copy/events.js';
import type { Descriptor } from '../../image/descriptor.js';
import { formatPlatform } from '../../image/platform.js';
import { describeLocation, type Location } from '../../store/location.js';
import { f, t } from '../shape.js';
import { digestField, mediaTypeField } from './fields.js';

export const buildShape = t.object({
  destination: f(t.string, 'where the result went: `docker://host/repo:tag`, `oci:DIR:TAG`…'),
  digest: digestField,
  mediaType: mediaTypeField,
  size: f(t.number, 'the size of that manifest or index in bytes'),
  tags: f(t.list(t.string), "the tags that now name it (the destination's, then each `--tag`)"),
  manifests: f(
    t.list(
      t.object({
        digest: f(t.string, 'its digest'),
        mediaType: f(t.string, 'its media type'),
        platform: f(t.nullable(t.string), '`os/arch[/variant][:os.version]`; null for an entry without one'),
      }),
    ),
    'the entries of the index (attestations included), or the one image manifest',
  ),
  changed: f(
    t.list(
      t.object({
        platform: f(t.nullable(t.string), "the image's platform; null when unknown"),
        from: f(t.nullable(t.string), 'its digest before; null for an image built from `scratch`'),
        to: f(t.string, 'its digest now'),
      }),
    ),
    'the images `append` or `mutate` changed (empty for `index`)',
  ),
  removed: f(
    t.list(t.string),
    'digests of index entries left out: attestations of changed images, entries `index remove` took out or `index add` replaced',
  ),
  copied: f(t.number, 'blobs transferred'),
  skipped: f(t.number, 'blobs the destination already had'),
  mounted: f(t.number, 'blobs mounted from another repository of the same registry'),
  bytes: f(t.number, 'bytes transferred (not skipped or mounted)'),
});

export interface BuildJson {
  destination: string;
  digest: string;
  mediaType: string;
  size: number;
  tags: string[];
  manifests: { digest: string; mediaType: string; platform: string | null }[];
  changed: { platform: string | null; from: string | null; to: string }[];
  removed: string[];
  copied: number;
  skipped: number;
  mounted: number;
  bytes: number;
}

export interface BuildFacts {
  /** The root's entries (an index) or the root itself (an image). */
  manifests: readonly Descriptor[];
  changed?: readonly { platform: string | undefined; from?: Descriptor | undefined; to: Descriptor }[];
  removed?: readonly Descriptor[];
  tags: readonly string[];
}

export const buildJson = (destination: Location, summary: CopySummary, facts: BuildFacts): BuildJson => ({
  destination: describeLocation(destination),
  digest: summary.descriptor.digest,
  mediaType: summary.descriptor.mediaType,
  size: summary.descriptor.size,
  tags: [...facts.tags],
  manifests: facts.manifests.map((d) => ({
    digest: d.digest,
    mediaType: d.mediaType,
    platform: d.platform ? formatPlatform(d.platform) : null,
  })),
  changed: (facts.changed ?? []).map((c) => ({
    platform: c.platform ?? null,
    from: c.from?.digest ?? null,
    to: c.to.digest,
  })),
  removed: (facts.removed ?? []).map((d) => d.digest),
  copied: summary.copied,
  skipped: summary.skipped,
  mounted: summary.mounted,
  bytes: summary.bytes,
});
