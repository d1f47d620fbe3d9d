/**
 * Which children of an index a copy takes (`--platform`, repeatable) and the check that a single
 * image is of the platform asked for, both by image/platform.ts requirePlatform, the check the
 * read commands make too. An index's attestation entries (BuildKit provenance and SBOMs,
 * `vnd.docker.reference.type: attestation-manifest`) go with the image they name and are left
 * out with it.
 */
import type { Descriptor, Platform } from '../image/descriptor.js';
import type { ImageIndex } from '../image/manifest.js';
import { isAttestation, requirePlatform } from '../image/platform.js';
import { REFERENCE_DIGEST_ANNOTATION } from './rebuild.js';

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
    const child = requirePlatform(where, { kind: 'index', manifests: index.manifests }, wanted);
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
 * config's os/architecture/variant. An image whose config names none (an artifact, a referrer)
 * passes here, where the read commands refuse it: a copy moves what it is given.
 */
export function checkImagePlatform(
  have: Platform | undefined,
  platforms: readonly Platform[],
  where: string,
): void {
  if (have === undefined) return;
  for (const wanted of platforms) requirePlatform(where, { kind: 'image', platform: have }, wanted);
}
