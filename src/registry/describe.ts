/**
 * What `ls -l` shows for a tag: digest, media type, platforms, total size and creation time.
 * An index is described through its children (their manifests and configs), skipping
 * attestation entries (`unknown/unknown`).
 */

import { summarizeConfig } from '../image/config.js';
import type { Descriptor } from '../image/descriptor.js';
import { type ImageManifest, imageSize, parseManifest } from '../image/manifest.js';
import { formatPlatform } from '../image/platform.js';
import { mapLimit } from '../util/limit.js';
import { getSmallBlob } from './blobs.js';
import type { RegistryClient } from './client.js';
import { getManifest } from './manifests.js';

export interface TagDescription {
  tag: string;
  digest: string;
  mediaType: string;
  platforms: string[];
  /** Compressed bytes of every config and layer the tag references (all platforms for an index). */
  size: number;
  /** The newest `created` among the configs, ISO 8601, when any config has one. */
  created?: string | undefined;
}

interface ImageFacts {
  size: number;
  created?: string | undefined;
  platform?: string | undefined;
}

async function describeImage(
  client: RegistryClient,
  repository: string,
  manifest: ImageManifest,
): Promise<ImageFacts> {
  const config = summarizeConfig(await getSmallBlob(client, repository, manifest.config));
  return {
    size: imageSize(manifest),
    created: config.created,
    platform: config.platform ? formatPlatform(config.platform) : undefined,
  };
}

async function describeChild(
  client: RegistryClient,
  repository: string,
  child: Descriptor,
): Promise<ImageFacts | undefined> {
  const fetched = await getManifest(client, repository, child.digest);
  const parsed = parseManifest(
    fetched.bytes,
    fetched.mediaType || child.mediaType,
    `manifest ${child.digest}`,
  );
  if (parsed.kind !== 'image') return undefined;
  const facts = await describeImage(client, repository, parsed.manifest);
  return { ...facts, platform: child.platform ? formatPlatform(child.platform) : facts.platform };
}

const newest = (dates: readonly (string | undefined)[]): string | undefined =>
  dates.filter((d): d is string => d !== undefined).sort((a, b) => Date.parse(b) - Date.parse(a))[0];

export async function describeTag(
  client: RegistryClient,
  repository: string,
  tag: string,
  concurrency: number,
): Promise<TagDescription> {
  const fetched = await getManifest(client, repository, tag);
  const parsed = parseManifest(
    fetched.bytes,
    fetched.mediaType,
    `manifest ${client.registry}/${repository}:${tag}`,
  );
  const base = { tag, digest: fetched.digest, mediaType: fetched.mediaType || parsed.mediaType };
  if (parsed.kind === 'image') {
    const facts = await describeImage(client, repository, parsed.manifest);
    return {
      ...base,
      platforms: facts.platform ? [facts.platform] : [],
      size: facts.size,
      created: facts.created,
    };
  }
  const children = parsed.index.manifests.filter((d) => d.platform?.os !== 'unknown');
  const facts = (
    await mapLimit(children, concurrency, (child) => describeChild(client, repository, child))
  ).filter((f): f is ImageFacts => f !== undefined);
  return {
    ...base,
    platforms: facts.flatMap((f) => (f.platform ? [f.platform] : [])),
    size: facts.reduce((sum, f) => sum + f.size, 0),
    created: newest(facts.map((f) => f.created)),
  };
}
