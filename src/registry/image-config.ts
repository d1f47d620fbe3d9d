/**
 * An image's config blob (image-spec config.md), as `ferry config` prints it: the bytes as the
 * registry served them, checked against the digest and size the manifest gives for the config,
 * since the config's digest is the image ID and any re-encoding would change it.
 *
 * An index is resolved to one platform's image first: the one asked for, or by default the host's
 * (as `pull` and skopeo's `inspect --config` do).
 */
import { InvalidContentError } from '../errors.js';
import type { Platform } from '../image/descriptor.js';
import { hostPlatform } from '../image/platform.js';
import { formatReference, type Reference } from '../ref/index.js';
import { getSmallBlob } from './blobs.js';
import type { RegistryClient } from './client.js';
import { resolveManifest } from './resolve.js';

export interface ImageConfig {
  bytes: Buffer;
  digest: string;
  /** The platform picked out of an index; undefined when the reference is a single image. */
  platform: Platform | undefined;
  /** true when `platform` is the host's, chosen because none was asked for. */
  defaultPlatform: boolean;
}

export async function getImageConfig(
  client: RegistryClient,
  ref: Reference,
  platform?: Platform,
): Promise<ImageConfig> {
  const wanted = platform ?? hostPlatform();
  const resolved = await resolveManifest(client, ref, wanted);
  if (resolved.parsed.kind !== 'image') {
    // resolveManifest resolves an index to a child; a child that is an index again is not an image.
    throw new InvalidContentError(`${formatReference(ref)} for ${resolved.digest} is not an image manifest`);
  }
  const config = resolved.parsed.manifest.config;
  const bytes = await getSmallBlob(client, ref.repository, config);
  return {
    bytes,
    digest: config.digest,
    platform: resolved.platform,
    defaultPlatform: platform === undefined && resolved.platform !== undefined,
  };
}
