/**
 * Reading an image by reference: the manifest (optionally the child for one platform of an
 * index), its digest, and whether it exists. The read commands each call one of these.
 */
import { NotFoundError } from '../errors.js';
import type { Platform } from '../image/descriptor.js';
import { type ParsedManifest, parseManifest } from '../image/manifest.js';
import { formatPlatform, selectPlatform } from '../image/platform.js';
import { formatReference, type Reference } from '../ref/index.js';
import type { RegistryClient } from './client.js';
import { type FetchedManifest, getManifest, headManifest } from './manifests.js';

/** The tag or digest to ask the registry for: the digest wins when both are given. */
export function referenceId(ref: Reference): string {
  return ref.digest ?? ref.tag ?? 'latest';
}

export interface ResolvedManifest extends FetchedManifest {
  parsed: ParsedManifest;
  /** Set when `platform` picked a child out of an index. */
  platform?: Platform | undefined;
}

/**
 * GETs a manifest. With `platform`, an index is resolved to the matching child (fetched by
 * digest and verified); a single-image manifest is returned as it is.
 */
export async function resolveManifest(
  client: RegistryClient,
  ref: Reference,
  platform?: Platform,
): Promise<ResolvedManifest> {
  const top = await getManifest(client, ref.repository, referenceId(ref));
  const parsed = parseManifest(top.bytes, top.mediaType, `manifest of ${formatReference(ref)}`);
  if (!platform || parsed.kind !== 'index')
    return { ...top, mediaType: top.mediaType || parsed.mediaType, parsed };

  const child = selectPlatform(parsed.index.manifests, platform);
  if (!child) {
    const available = parsed.index.manifests
      .flatMap((d) => (d.platform && d.platform.os !== 'unknown' ? [formatPlatform(d.platform)] : []))
      .join(', ');
    throw new NotFoundError(
      `${formatReference(ref)} has no image for platform ${formatPlatform(platform)} (available: ${available || 'none'})`,
    );
  }
  // Fetched by digest: getManifest has already checked the bytes against it.
  const fetched = await getManifest(client, ref.repository, child.digest);
  const childParsed = parseManifest(
    fetched.bytes,
    fetched.mediaType || child.mediaType,
    `manifest ${child.digest}`,
  );
  return {
    ...fetched,
    mediaType: fetched.mediaType || child.mediaType,
    parsed: childParsed,
    platform: child.platform,
  };
}

/**
 * The digest of a reference: HEAD first (cheap, and not counted as a pull by Docker Hub), GET
 * when the registry sends no Docker-Content-Digest or a platform must be picked from an index.
 */
export async function resolveDigest(
  client: RegistryClient,
  ref: Reference,
  platform?: Platform,
): Promise<string> {
  if (!platform) {
    const head = await headManifest(client, ref.repository, referenceId(ref));
    if (!head) throw new NotFoundError(`manifest ${formatReference(ref)} not found`);
    if (head.digest) return head.digest;
  }
  return (await resolveManifest(client, ref, platform)).digest;
}

/** HEAD only: present or absent. Every other failure (auth, network, TLS) is thrown, so callers can tell them apart. */
export async function manifestExists(
  client: RegistryClient,
  ref: Reference,
): Promise<{ exists: boolean; digest?: string | undefined }> {
  const head = await headManifest(client, ref.repository, referenceId(ref));
  return head ? { exists: true, digest: head.digest } : { exists: false };
}
