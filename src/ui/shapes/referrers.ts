/** What `referrers` prints (see index.ts). */
import type { ListedReferrer, ReferrerListing } from '../../store/referrer-tree.js';
import { f, t } from '../shape.js';
import { referenceField } from './fields.js';

export const referrerItemShape = t.object({
  subject: f(
    t.string,
    'the digest of the manifest it refers to (the image, or with `--tree` another referrer)',
  ),
  depth: f(t.number, '1 for a referrer of the image, 2 for a referrer of that one, and so on (`--tree`)'),
  artifactType: f(
    t.nullable(t.string),
    "its artifact type (else its config's media type, as the referrers API reports it); null when none is known",
  ),
  mediaType: f(t.string, 'the media type of its manifest'),
  digest: f(t.string, 'the digest of its manifest'),
  size: f(t.number, 'the size of its manifest in bytes'),
  annotations: f(t.any, 'its annotations (an object; `{}` when it has none): `{{json .Annotations}}`'),
  legacyTag: f(
    t.nullable(t.string),
    "for cosign's older tag-based attachments, the tag that names it (`sha256-<hex>.sig`, `.att`, `.sbom`); null for a referrer naming its subject",
  ),
});
export interface ReferrerItem {
  subject: string;
  depth: number;
  artifactType: string | null;
  mediaType: string;
  digest: string;
  size: number;
  annotations: Record<string, string>;
  legacyTag: string | null;
}
export const referrerItem = (r: ListedReferrer): ReferrerItem => ({
  subject: r.subject,
  depth: r.depth,
  artifactType: r.descriptor.artifactType ?? null,
  mediaType: r.descriptor.mediaType,
  digest: r.descriptor.digest,
  size: r.descriptor.size,
  annotations: { ...r.descriptor.annotations },
  legacyTag: r.tag ?? null,
});

export const referrersShape = t.object({
  reference: referenceField,
  digest: f(
    t.string,
    'the digest of the manifest whose referrers these are (with `--platform`, the image picked)',
  ),
  referrers: f(t.list(referrerItemShape), 'every referrer found, each followed by its own (with `--tree`)'),
});
export interface ReferrersJson {
  reference: string;
  digest: string;
  referrers: ReferrerItem[];
}
export const referrersJson = (reference: string, listing: ReferrerListing): ReferrersJson => ({
  reference,
  digest: listing.subject.digest,
  referrers: listing.referrers.map(referrerItem),
});
