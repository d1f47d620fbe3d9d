/**
 * What `ls -l` (and the `ls` filters) know of a tag: digest, media type, platforms, total size and
 * creation time. An index is described through its children (their manifests and configs),
 * skipping attestation entries (`unknown/unknown`).
 *
 * Every manifest and config GET of one describeTags call, across all its tags and their children,
 * waits for one of `concurrency` slots: fifty tags of a five-platform index make 500 requests, and
 * a registry should see a handful at a time, not all of them (nested per-tag limits would
 * multiply). They all share the client's one token for the repository's pull scope.
 */

import { summarizeConfig } from '../image/config.js';
import type { Descriptor, Platform } from '../image/descriptor.js';
import { type ImageManifest, imageSize, parseManifest } from '../image/manifest.js';
import { formatPlatform } from '../image/platform.js';
import { createLimiter } from '../util/limit.js';
import { getSmallBlob } from './blobs.js';
import type { RegistryClient } from './client.js';
import { type FetchedManifest, getManifest } from './manifests.js';

export interface TagDescription {
  tag: string;
  digest: string;
  mediaType: string;
  /** `os/arch[/variant]`, in index order. */
  platforms: string[];
  /** The same platforms as values, for matching (`ls --platform`). */
  platformList: Platform[];
  /** Compressed bytes of every config and layer the tag references (all platforms for an index). */
  size: number;
  /** The newest `created` among the configs, ISO 8601, when any config has one. */
  created?: string | undefined;
}

interface ImageFacts {
  size: number;
  created?: string | undefined;
  platform?: Platform | undefined;
}

/** The slot every GET of one describeTags call waits for. */
type Limit = <R>(task: () => Promise<R>) => Promise<R>;

interface Fetcher {
  client: RegistryClient;
  repository: string;
  limit: Limit;
}

const fetchManifest = (f: Fetcher, reference: string): Promise<FetchedManifest> =>
  f.limit(() => getManifest(f.client, f.repository, reference));

async function describeImage(f: Fetcher, manifest: ImageManifest): Promise<ImageFacts> {
  const config = summarizeConfig(await f.limit(() => getSmallBlob(f.client, f.repository, manifest.config)));
  return { size: imageSize(manifest), created: config.created, platform: config.platform };
}

async function describeChild(f: Fetcher, child: Descriptor): Promise<ImageFacts | undefined> {
  const fetched = await fetchManifest(f, child.digest);
  const parsed = parseManifest(
    fetched.bytes,
    fetched.mediaType || child.mediaType,
    `manifest ${child.digest}`,
  );
  if (parsed.kind !== 'image') return undefined;
  const facts = await describeImage(f, parsed.manifest);
  return { ...facts, platform: child.platform ?? facts.platform };
}

const newest = (dates: readonly (string | undefined)[]): string | undefined =>
  dates.filter((d): d is string => d !== undefined).sort((a, b) => Date.parse(b) - Date.parse(a))[0];

async function describeTag(f: Fetcher, tag: string): Promise<TagDescription> {
  const fetched = await fetchManifest(f, tag);
  const parsed = parseManifest(
    fetched.bytes,
    fetched.mediaType,
    `manifest ${f.client.registry}/${f.repository}:${tag}`,
  );
  const base = { tag, digest: fetched.digest, mediaType: fetched.mediaType || parsed.mediaType };
  const facts =
    parsed.kind === 'image'
      ? [await describeImage(f, parsed.manifest)]
      : (
          await Promise.all(
            parsed.index.manifests
              .filter((d) => d.platform?.os !== 'unknown')
              .map((child) => describeChild(f, child)),
          )
        ).filter((facts): facts is ImageFacts => facts !== undefined);
  const platformList = facts.flatMap((facts) => (facts.platform ? [facts.platform] : []));
  return {
    ...base,
    platforms: platformList.map(formatPlatform),
    platformList,
    size: facts.reduce((sum, facts) => sum + facts.size, 0),
    created: newest(facts.map((facts) => facts.created)),
  };
}

/** Describes each tag (in the given order), with at most `concurrency` GETs in flight in all. */
export function describeTags(
  client: RegistryClient,
  repository: string,
  tags: readonly string[],
  concurrency: number,
): Promise<TagDescription[]> {
  const f: Fetcher = { client, repository, limit: createLimiter(concurrency) };
  return Promise.all(tags.map((tag) => describeTag(f, tag)));
}
