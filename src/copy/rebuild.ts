/**
 * New bytes for a manifest or index whose children changed on the way (a layer gzip'd, a child
 * manifest rebuilt, platforms left out). A parent is rebuilt from the descriptors its children
 * have at the destination, never re-put from its source bytes once one of them changed, so a
 * parent can never name a blob or manifest the destination does not hold (containers/image
 * applies its list edits the same way, copy/multiple.go).
 *
 * Everything else in the document stays as it was: unknown fields, annotations, a descriptor's
 * platform, urls and annotations. The result is compact JSON; its digest is new by nature.
 */
import { digestOf } from '../digest/index.js';
import type { Descriptor } from '../image/descriptor.js';
import type { StoredManifest } from '../store/store.js';
import { isObject } from '../util/is-object.js';

/** BuildKit's attestation entries name the image they describe by digest (docs: attestation storage). */
export const REFERENCE_DIGEST_ANNOTATION = 'vnd.docker.reference.digest';
export const REFERENCE_TYPE_ANNOTATION = 'vnd.docker.reference.type';

function documentOf(manifest: StoredManifest): Record<string, unknown> {
  const doc: unknown = JSON.parse(manifest.bytes.toString('utf8'));
  // parseManifest() accepted these bytes before anything reached here.
  return isObject(doc) ? doc : {};
}

/** The source descriptor with what the destination holds: media type, digest and size. */
function moved(original: Descriptor, now: Descriptor): Descriptor {
  return { ...original, mediaType: now.mediaType, digest: now.digest, size: now.size };
}

function stored(doc: Record<string, unknown>, mediaType: string): StoredManifest {
  const bytes = Buffer.from(JSON.stringify(doc));
  return { descriptor: { mediaType, digest: digestOf(bytes), size: bytes.length }, bytes };
}

/** An image manifest naming `config` and `layers` (the destination's descriptors, in order). */
export function rebuildManifest(
  manifest: StoredManifest,
  original: { config: Descriptor; layers: readonly Descriptor[] },
  now: { config: Descriptor; layers: readonly Descriptor[] },
): StoredManifest {
  const doc = documentOf(manifest);
  doc['config'] = moved(original.config, now.config);
  doc['layers'] = original.layers.map((layer, i) => moved(layer, now.layers[i] ?? layer));
  return stored(doc, manifest.descriptor.mediaType);
}

/**
 * An index naming `children`: each kept source entry with its destination descriptor. Entries
 * not in `children` are left out. An attestation entry's reference to an image that moved to
 * another digest follows it.
 */
export function rebuildIndex(
  index: StoredManifest,
  children: readonly { original: Descriptor; now: Descriptor }[],
): StoredManifest {
  const doc = documentOf(index);
  const renamed = new Map(
    children
      .filter((c) => c.original.digest !== c.now.digest)
      .map((c) => [c.original.digest, c.now.digest] as const),
  );
  doc['manifests'] = children.map(({ original, now }) => {
    const entry = moved(original, now);
    const target = entry.annotations?.[REFERENCE_DIGEST_ANNOTATION];
    const next = target === undefined ? undefined : renamed.get(target);
    if (next !== undefined) entry.annotations = { ...entry.annotations, [REFERENCE_DIGEST_ANNOTATION]: next };
    return entry;
  });
  return stored(doc, index.descriptor.mediaType);
}

/** Whether a copy left a descriptor as it was. */
export function unchanged(original: Descriptor, now: Descriptor): boolean {
  return original.digest === now.digest && original.mediaType === now.mediaType;
}
