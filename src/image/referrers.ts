/**
 * OCI 1.1 referrers, the parts that need no I/O (opencontainers/distribution-spec spec.md,
 * "Listing Referrers", "Pushing Manifests with Subject", "Referrers Tag Schema"; image-spec
 * manifest.md, `subject` and `artifactType`):
 *
 * - a manifest's `subject` names the manifest it refers to (a signature or an SBOM names its image);
 * - a referrers list is an OCI image index of descriptors, each carrying the referrer's
 *   `artifactType` (else, for an image manifest, its config's media type) and its annotations;
 * - where a registry has no referrers API, that list is kept by clients under the tag
 *   `<alg>-<hex>` of the subject's digest (the referrers tag, or fallback tag);
 * - cosign before the referrers API kept signatures, attestations and SBOMs under the tags
 *   `sha256-<hex>.sig`, `.att` and `.sbom` (sigstore/cosign specs/SIGNATURE_SPEC.md, "Tag-based
 *   Discovery"): no `subject`, only the tag ties them to the image.
 */
import type { Descriptor } from './descriptor.js';
import { type ParsedManifest, parseManifest } from './manifest.js';
import { MediaType } from './media-types.js';

/** The file name a layer of an artifact is written to (image-spec annotations.md). */
export const TITLE_ANNOTATION = 'org.opencontainers.image.title';
export const CREATED_ANNOTATION = 'org.opencontainers.image.created';
/** What names a tag inside an OCI layout's index.json: never copied into a referrer's entry. */
const REF_NAME_ANNOTATION = 'org.opencontainers.image.ref.name';

/** The empty JSON blob `{}` (image-spec manifest.md, "Guidance for an Empty Descriptor"). */
export const EMPTY_JSON = Buffer.from('{}');
export const EMPTY_DESCRIPTOR: Readonly<Descriptor> = Object.freeze({
  mediaType: MediaType.ociEmpty,
  digest: 'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a',
  size: 2,
});

/** The legacy cosign tag suffixes, and what each held. */
export const LEGACY_KINDS = { sig: 'signature', att: 'attestation', sbom: 'sbom' } as const;
export type LegacyKind = keyof typeof LEGACY_KINDS;

/** Characters a tag may hold (distribution-spec `<reference>` as a tag). */
const TAG_CHAR = /[^a-zA-Z0-9._-]/g;

/**
 * The referrers tag of a digest: the algorithm cut to 32 characters, '-', the encoded part cut to
 * 64, anything a tag may not hold replaced by '-' ("Referrers Tag Schema").
 */
export function referrersTag(digest: string): string {
  const colon = digest.indexOf(':');
  const algorithm = digest.slice(0, colon).slice(0, 32);
  const encoded = digest.slice(colon + 1).slice(0, 64);
  return `${algorithm}-${encoded}`.replace(TAG_CHAR, '-');
}

/** The legacy cosign tags of a digest: `sha256-<hex>.sig`, `.att`, `.sbom`. */
export function legacyTags(digest: string): { tag: string; kind: LegacyKind }[] {
  const base = referrersTag(digest);
  return (Object.keys(LEGACY_KINDS) as LegacyKind[]).map((kind) => ({ tag: `${base}.${kind}`, kind }));
}

/** `sha256-<hex>.sig` → its kind; undefined for any other tag. */
export function legacyKindOf(tag: string): LegacyKind | undefined {
  const m = /^(sha256|sha512)-[0-9a-f]{64}\.(sig|att|sbom)$/.exec(tag);
  return m ? (m[2] as LegacyKind) : undefined;
}

/** Whether a tag is a referrers tag or a legacy cosign tag: it travels with its subject, not as an image of its own. */
export function isReferrersTag(tag: string): boolean {
  return /^(sha256|sha512)-[0-9a-f]{64}(\.(sig|att|sbom))?$/.test(tag);
}

/** The manifest or index a document refers to, if any. */
export function subjectOf(parsed: ParsedManifest): Descriptor | undefined {
  return parsed.kind === 'image' ? parsed.manifest.subject : parsed.index.subject;
}

/**
 * The entry a referrers list holds for this manifest ("Pushing Manifests with Subject"): its
 * media type, digest and size; `artifactType` from the document, else (an image manifest) its
 * config's media type; the document's annotations.
 */
export function referrerDescriptor(descriptor: Descriptor, parsed: ParsedManifest): Descriptor {
  const entry: Descriptor = { mediaType: parsed.mediaType, digest: descriptor.digest, size: descriptor.size };
  const doc = parsed.kind === 'image' ? parsed.manifest : parsed.index;
  const artifactType =
    doc.artifactType || (parsed.kind === 'image' ? parsed.manifest.config.mediaType : undefined);
  if (artifactType) entry.artifactType = artifactType;
  if (doc.annotations && Object.keys(doc.annotations).length > 0) entry.annotations = { ...doc.annotations };
  return entry;
}

/** A referrers list's entry as an OCI layout's untagged index.json entry: no ref.name, whatever the document said. */
export function untaggedEntry(referrer: Descriptor): Descriptor {
  const entry: Descriptor = { mediaType: referrer.mediaType, digest: referrer.digest, size: referrer.size };
  if (referrer.artifactType !== undefined) entry.artifactType = referrer.artifactType;
  const annotations = { ...referrer.annotations };
  delete annotations[REF_NAME_ANNOTATION];
  if (Object.keys(annotations).length > 0) entry.annotations = annotations;
  return entry;
}

/**
 * The referrers a document read from the referrers tag lists, or why it is not a referrers list.
 * It must be an OCI image index and must not be the subject itself: GitLab's registry resolves
 * `sha256-<hex>` as the digest `sha256:<hex>` and serves the image, whose own children would
 * otherwise pass for its referrers (oras-project/oras-go#1396). The spec asks clients to treat
 * anything but an index there as no referrers, and never to overwrite it.
 */
export function readReferrersIndex(
  parsed: ParsedManifest,
  digest: string,
  subject: string,
): { referrers: Descriptor[] } | { problem: string } {
  if (digest === subject) return { problem: 'it resolves to the subject itself' };
  if (parsed.kind !== 'index' || parsed.mediaType !== MediaType.ociIndex)
    return { problem: `it holds ${parsed.mediaType}, not an OCI image index` };
  return { referrers: parsed.index.manifests };
}

/** Adds `added` to a referrers list (no digest twice: the spec's "duplicate entries SHOULD NOT be created"). */
export function mergeReferrers(
  existing: readonly Descriptor[],
  added: readonly Descriptor[],
): { referrers: Descriptor[]; changed: boolean } {
  const seen = new Set(existing.map((d) => d.digest));
  const referrers = [...existing];
  for (const d of added) {
    if (seen.has(d.digest)) continue;
    seen.add(d.digest);
    referrers.push(d);
  }
  return { referrers, changed: referrers.length !== existing.length };
}

/** The bytes of a referrers index holding `referrers`, as the referrers API would serve it. */
export function referrersIndexBytes(referrers: readonly Descriptor[]): Buffer {
  return Buffer.from(
    JSON.stringify({ schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: referrers }),
  );
}

/**
 * The subject a manifest refers to and its entry in that subject's referrers list; undefined for
 * a manifest without `subject` (the usual case, told without parsing the bytes).
 */
export function referrerOf(
  descriptor: Descriptor,
  bytes: Uint8Array,
): { subject: Descriptor; referrer: Descriptor } | undefined {
  if (!Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).includes('"subject"')) return undefined;
  const parsed = parseManifest(bytes, descriptor.mediaType, `manifest ${descriptor.digest}`);
  const subject = subjectOf(parsed);
  return subject ? { subject, referrer: referrerDescriptor(descriptor, parsed) } : undefined;
}
