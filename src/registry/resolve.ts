/**
 * Reading an image by reference: the manifest, its digest, and whether it exists (store/inspect.ts
 * builds the read commands on these and on the other stores).
 */
import { NotFoundError } from '../errors.js';
import { type ParsedManifest, parseManifest } from '../image/manifest.js';
import { formatReference, type Reference } from '../ref/index.js';
import type { RegistryClient } from './client.js';
import { type FetchedManifest, getManifest, headManifest } from './manifests.js';

/** The tag or digest to ask the registry for: the digest wins when both are given. */
export function referenceId(ref: Reference): string {
  return ref.digest ?? ref.tag ?? 'latest';
}

export interface ResolvedManifest extends FetchedManifest {
  parsed: ParsedManifest;
}

/** GETs the manifest or index a reference names (store/inspect.ts resolves platforms, for any location). */
export async function resolveManifest(client: RegistryClient, ref: Reference): Promise<ResolvedManifest> {
  const top = await getManifest(client, ref.repository, referenceId(ref));
  const parsed = parseManifest(top.bytes, top.mediaType, `manifest of ${formatReference(ref)}`);
  return { ...top, mediaType: top.mediaType || parsed.mediaType, parsed };
}

/**
 * The digest of a reference: HEAD first (cheap, and not counted as a pull by Docker Hub), GET
 * when the registry sends no Docker-Content-Digest.
 */
export async function resolveDigest(client: RegistryClient, ref: Reference): Promise<string> {
  const head = await headManifest(client, ref.repository, referenceId(ref));
  if (!head) throw new NotFoundError(`manifest ${formatReference(ref)} not found`);
  return head.digest ?? (await resolveManifest(client, ref)).digest;
}

/** HEAD only: present or absent. Every other failure (auth, network, TLS) is thrown, so callers can tell them apart. */
export async function manifestExists(
  client: RegistryClient,
  ref: Reference,
): Promise<{ exists: boolean; digest?: string | undefined }> {
  const head = await headManifest(client, ref.repository, referenceId(ref));
  return head ? { exists: true, digest: head.digest } : { exists: false };
}
