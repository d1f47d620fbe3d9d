/**
 * Whether a destination tag is in step with its source, by HEAD requests alone: the source tag's
 * digest and the destination tag's, one HEAD on each registry. A mirror asks this of every tag on
 * every run, so it must not spend what a copy spends: a manifest GET counts against Docker Hub's
 * pull quota, a HEAD does not (docs.docker.com, "Docker Hub usage and limits"). The engine's own
 * re-copy check (image-copy.ts) GETs the source root first, which is right for one copy and wrong
 * for thousands of tags that have not moved.
 *
 * With platforms narrowed, the destination holds what the copy made of the source (the one image
 * asked for, or a new index of the images asked for: image-copy.ts), whose digest no HEAD of the
 * source tells. Then, and only when the two digests differ, the source's root is read (one GET)
 * and the digest the copy would give is worked out the way the engine builds it.
 */
import { NotFoundError } from '../errors.js';
import type { Descriptor, Platform } from '../image/descriptor.js';
import { parseManifest } from '../image/manifest.js';
import { formatReference, type Reference } from '../ref/index.js';
import type { RegistryClient } from '../registry/client.js';
import { getManifest, headManifest } from '../registry/manifests.js';
import { referenceId } from '../registry/resolve.js';
import type { CopySummary } from './events.js';
import { pickChildren } from './platforms.js';
import { rebuildIndex } from './rebuild.js';

export interface RegistryImage {
  client: RegistryClient;
  ref: Reference;
}

export interface InStepCheck {
  /** The digest the source tag names now (the copy is pinned to it), when the registry says. */
  sourceDigest: string | undefined;
  /** Set when the destination already holds what a copy would give it: the descriptor it names. */
  inStep?: Descriptor | undefined;
  /** The destination registry answered that the tag does not exist (the HEAD got a 404). */
  destinationAbsent?: boolean | undefined;
}

export async function checkInStep(
  source: RegistryImage,
  destination: RegistryImage,
  platforms: readonly Platform[] | undefined,
): Promise<InStepCheck> {
  const [from, to] = await Promise.all([
    headManifest(source.client, source.ref.repository, referenceId(source.ref)),
    headManifest(destination.client, destination.ref.repository, referenceId(destination.ref)),
  ]);
  if (!from) throw new NotFoundError(`manifest ${formatReference(source.ref)} not found`);
  const sourceDigest = from.digest;
  if (!to) return { sourceDigest, destinationAbsent: true };
  // A registry that leaves out a header gives nothing to compare: the engine decides.
  if (!sourceDigest || !to?.digest || !to.mediaType || to.size === undefined) return { sourceDigest };
  const held: Descriptor = { mediaType: to.mediaType, digest: to.digest, size: to.size };
  if (held.digest === sourceDigest) return { sourceDigest, inStep: held };
  if (!platforms || platforms.length === 0) return { sourceDigest };
  const expected = await narrowedDigest(source, sourceDigest, platforms);
  return expected === held.digest ? { sourceDigest, inStep: held } : { sourceDigest };
}

/**
 * The digest a copy of the source narrowed to `platforms` gives its root (image-copy.ts `run`):
 * a single image stays as it is; one platform of an index is that child; several are a new index
 * of the children picked (rebuilt even when nothing was left out, as the engine does).
 */
async function narrowedDigest(
  source: RegistryImage,
  digest: string,
  platforms: readonly Platform[],
): Promise<string> {
  const where = `docker://${formatReference(source.ref)}`;
  const root = await getManifest(source.client, source.ref.repository, digest);
  const parsed = parseManifest(root.bytes, root.mediaType, `manifest of ${where}`);
  if (parsed.kind === 'image') return digest;
  const { images, children } = pickChildren(parsed.index, platforms, where);
  if (platforms.length === 1) return images[0]?.descriptor.digest ?? digest;
  const stored = {
    descriptor: { mediaType: parsed.mediaType, digest, size: root.bytes.length },
    bytes: root.bytes,
  };
  return rebuildIndex(
    stored,
    children.map((child) => ({ original: child, now: child })),
  ).descriptor.digest;
}

/** The summary of an image found in step without copying anything. */
export function inStepSummary(check: InStepCheck & { inStep: Descriptor }): CopySummary {
  return {
    descriptor: check.inStep,
    sourceDigest: check.sourceDigest ?? check.inStep.digest,
    outcome: 'in-step',
    copied: 0,
    skipped: 0,
    mounted: 0,
    bytes: 0,
    manifests: 0,
    changes: [],
  };
}
