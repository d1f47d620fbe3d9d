/**
 * Which children of an index a copy takes (`--platform`, repeatable) and the check that a single
 * image is of the platform asked for. An index's attestation entries (BuildKit provenance and
 * SBOMs, `vnd.docker.reference.type: attestation-manifest`) go with the image they name and are
 * left out with it.
 */
import { NotFoundError } from '../errors.js';
import type { Descriptor, Platform } from '../image/descriptor.js';
import type { ImageIndex } from '../image/manifest.js';
import { formatPlatform, isAttestation, platformMatches, selectPlatform } from '../image/platform.js';
import { REFERENCE_DIGEST_ANNOTATION } from './rebuild.js';

/** "linux/amd64, linux/arm64": the runnable platforms of an index, for messages. */
function available(manifests: readonly Descriptor[]): string {
  const names = manifests.flatMap((d) =>
    d.platform && !isAttestation(d) ? [formatPlatform(d.platform)] : [],
  );
  return names.length > 0 ? names.join(', ') : 'none';
}

export interface PickedChild {
  descriptor: Descriptor;
  /** The platform asked for that picked it. */
  wanted: Platform;
}

/**
 * The images of `index` for `platforms`, in the index's order (so the same request gives the
 * same new index, and digest), each once, with the attestations that name them. A platform the
 * index lacks is a NotFoundError listing what it has.
 */
export function pickChildren(
  index: ImageIndex,
  platforms: readonly Platform[],
  where: string,
): { images: PickedChild[]; children: Descriptor[] } {
  const images: PickedChild[] = [];
  for (const wanted of platforms) {
    const child = selectPlatform(index.manifests, wanted);
    if (!child)
      throw new NotFoundError(
        `${where} has no image for platform ${formatPlatform(wanted)} (available: ${available(index.manifests)})`,
      );
    if (!images.some((p) => p.descriptor.digest === child.digest)) images.push({ descriptor: child, wanted });
  }
  const chosen = new Set(images.map((p) => p.descriptor.digest));
  const children = index.manifests.filter((d) => {
    if (chosen.has(d.digest)) return true;
    const target = d.annotations?.[REFERENCE_DIGEST_ANNOTATION];
    return isAttestation(d) && target !== undefined && chosen.has(target);
  });
  return { images, children };
}

/**
 * A single image asked for by platform: it must be of every platform asked for (an amd64 image
 * copied for `--platform linux/arm64` is an error, not a silent success). `have` is the image
 * config's os/architecture/variant; an image whose config names none passes.
 */
export function checkImagePlatform(
  have: Platform | undefined,
  platforms: readonly Platform[],
  where: string,
): void {
  if (have === undefined) return;
  for (const wanted of platforms) {
    if (!platformMatches(wanted, have))
      throw new NotFoundError(
        `${where} has no image for platform ${formatPlatform(wanted)} (available: ${formatPlatform(have)})`,
      );
  }
}
