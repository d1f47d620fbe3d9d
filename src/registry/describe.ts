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
import { getManifest } from './manifests.js';

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

/**
 * What describing a tag reads, wherever the tag lives: its manifest or index, an index's child,
 * a config. A registry reads them with GETs (registryTagContent); store/tag-listing.ts reads a
 * layout or an archive the same way.
 */
export interface TagContent {
  root(): Promise<{ digest: string; mediaType: string; bytes: Buffer }>;
  child(descriptor: Descriptor): Promise<Buffer>;
  config(descriptor: Descriptor): Promise<Buffer>;
}

/** The content of each tag of one repository or location, and how messages name a tag. */
export interface TagSource {
  open(tag: string): TagContent;
  name(tag: string): string;
}

/** A registry repository's tags, read with manifest GETs (by tag, children by digest) and config blob GETs. */
export function registryTagSource(client: RegistryClient, repository: string): TagSource {
  return {
    name: (tag) => `${client.registry}/${repository}:${tag}`,
    open: (tag) => ({
      root: () => getManifest(client, repository, tag),
      child: async (d) => (await getManifest(client, repository, d.digest)).bytes,
      config: (d) => getSmallBlob(client, repository, d),
    }),
  };
}

/** The slot every read of one describeTags call waits for. */
type Limit = <R>(task: () => Promise<R>) => Promise<R>;

async function describeImage(
  content: TagContent,
  limit: Limit,
  manifest: ImageManifest,
): Promise<ImageFacts> {
  const config = summarizeConfig(await limit(() => content.config(manifest.config)));
  return { size: imageSize(manifest), created: config.created, platform: config.platform };
}

async function describeChild(
  content: TagContent,
  limit: Limit,
  child: Descriptor,
): Promise<ImageFacts | undefined> {
  const bytes = await limit(() => content.child(child));
  const parsed = parseManifest(bytes, child.mediaType, `manifest ${child.digest}`);
  if (parsed.kind !== 'image') return undefined;
  const facts = await describeImage(content, limit, parsed.manifest);
  return { ...facts, platform: child.platform ?? facts.platform };
}

const newest = (dates: readonly (string | undefined)[]): string | undefined =>
  dates.filter((d): d is string => d !== undefined).sort((a, b) => Date.parse(b) - Date.parse(a))[0];

async function describeTag(source: TagSource, limit: Limit, tag: string): Promise<TagDescription> {
  const content = source.open(tag);
  const fetched = await limit(() => content.root());
  const parsed = parseManifest(fetched.bytes, fetched.mediaType, `manifest ${source.name(tag)}`);
  const base = { tag, digest: fetched.digest, mediaType: fetched.mediaType || parsed.mediaType };
  const facts =
    parsed.kind === 'image'
      ? [await describeImage(content, limit, parsed.manifest)]
      : (
          await Promise.all(
            parsed.index.manifests
              .filter((d) => d.platform?.os !== 'unknown')
              .map((child) => describeChild(content, limit, child)),
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

/** Describes each tag (in the given order), with at most `concurrency` reads in flight in all. */
export function describeTags(
  source: TagSource,
  tags: readonly string[],
  concurrency: number,
): Promise<TagDescription[]> {
  const limit = createLimiter(concurrency);
  return Promise.all(tags.map((tag) => describeTag(source, limit, tag)));
}
