/**
 * Tagging inside one repository: GET the source manifest and PUT the same bytes under the new tag
 * (distribution-spec end-7). No blob moves: the registry already has every blob and child
 * manifest the manifest names, in this repository. The bytes are not re-encoded, so the new tag
 * names the very same digest (crane tag does the same; a cross-repository tag is a copy).
 */
import { DigestMismatchError } from '../errors.js';
import { formatReference, type Reference } from '../ref/index.js';
import type { RegistryClient } from './client.js';
import { putManifest } from './manifests.js';
import { resolveManifest } from './resolve.js';

export interface TagResult {
  digest: string;
  mediaType: string;
}

export async function tagImage(client: RegistryClient, source: Reference, tag: string): Promise<TagResult> {
  const { bytes, digest, mediaType } = await resolveManifest(client, source);
  const target = formatReference({ registry: source.registry, repository: source.repository, tag });
  const stored = await putManifest(client, source.repository, tag, bytes, mediaType);
  // The registry says which digest it filed the bytes under: anything else means it changed them.
  const algorithm = digest.slice(0, digest.indexOf(':') + 1);
  if (stored?.startsWith(algorithm) && stored !== digest)
    throw new DigestMismatchError(`manifest ${target}`, digest, stored);
  return { digest, mediaType };
}
