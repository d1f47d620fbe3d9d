/**
 * `index create`, `index add` and `index remove`: a new index (or an edited one) as a BuiltSource.
 * Its children stay where they are until the engine copies them into the destination's repository
 * (mounted from another repository of the same registry, streamed from another registry, skipped
 * when already there), so an index may gather images from anywhere (next-features.md B).
 *
 * - create: OCI by default; a Docker manifest list when every source is Docker-typed, or as
 *   `--media-type` says. Entries in the order of the sources, each once.
 * - add: the index's entries, then the new ones; a new image for a platform the index already has
 *   replaces the old image.
 * - remove: the entries for a platform (`--platform`) or a digest (`--digest`) leave.
 * In all three an attestation goes and comes with the image it describes, and two different images
 * for one platform are refused (a runtime would only ever pull the first).
 */

import { REFERENCE_DIGEST_ANNOTATION } from '../copy/rebuild.js';
import { digestOf } from '../digest/index.js';
import { NotFoundError, UsageError } from '../errors.js';
import type { Descriptor, Platform } from '../image/descriptor.js';
import { parseManifest } from '../image/manifest.js';
import { MediaType } from '../image/media-types.js';
import {
  formatPlatform,
  isAttestation,
  normalizePlatform,
  platformMatches,
  platformNotOffered,
} from '../image/platform.js';
import type { RegistryClient } from '../registry/client.js';
import { describeLocation, type Location, registryRef } from '../store/location.js';
import { openSource } from '../store/open.js';
import type { ImageSource, StoredManifest } from '../store/store.js';
import { BuiltSource } from './built-source.js';
import { entriesOf, type SourcedEntry } from './index-entries.js';

export type IndexMediaType = 'oci' | 'docker';

interface Common {
  client: (registry: string) => RegistryClient;
  annotations?: Readonly<Record<string, string>> | undefined;
}

export interface CreateRequest extends Common {
  sources: readonly Location[];
  mediaType?: IndexMediaType | undefined;
}

export interface AddRequest extends Common {
  index: Location;
  sources: readonly Location[];
}

export interface RemoveRequest extends Common {
  index: Location;
  platforms: readonly Platform[];
  digests: readonly string[];
}

export interface BuiltIndex {
  source: BuiltSource;
  root: StoredManifest;
  entries: SourcedEntry[];
  /** Entries an edit took out (replaced by `add`, or removed), attestations included. */
  removed: Descriptor[];
}

/** A platform as one comparable string: normalised, os.version included. */
const platformKey = (p: Platform): string => formatPlatform(normalizePlatform(p));

const describes = (attestation: Descriptor, image: string): boolean =>
  isAttestation(attestation) && attestation.annotations?.[REFERENCE_DIGEST_ANNOTATION] === image;

/** Refuses two different images for one platform; duplicates of one digest are dropped. */
function dedupe(entries: readonly SourcedEntry[]): SourcedEntry[] {
  const seen = new Set<string>();
  const platforms = new Map<string, SourcedEntry>();
  const out: SourcedEntry[] = [];
  for (const entry of entries) {
    const { digest, platform } = entry.descriptor;
    if (seen.has(digest)) continue;
    seen.add(digest);
    if (platform !== undefined && !isAttestation(entry.descriptor)) {
      const key = platformKey(platform);
      const other = platforms.get(key);
      if (other !== undefined)
        throw new UsageError(
          `two images for ${formatPlatform(platform)}: ${other.descriptor.digest} (${other.from}) and ${digest} (${entry.from})`,
          { hint: 'give one source per platform, or pick platforms of an index with index remove' },
        );
      platforms.set(key, entry);
    }
    out.push(entry);
  }
  return out;
}

function checkAnnotations(mediaType: string, annotations: Common['annotations']): void {
  if (mediaType === MediaType.dockerManifestList && annotations && Object.keys(annotations).length > 0)
    throw new UsageError('a Docker manifest list has no annotations: use --media-type oci');
}

function finish(built: BuiltSource, doc: Record<string, unknown>, mediaType: string): StoredManifest {
  const bytes = Buffer.from(JSON.stringify(doc));
  const root = { descriptor: { mediaType, digest: digestOf(bytes), size: bytes.length }, bytes };
  built.setRoot(root);
  return root;
}

/** Opens every source and reads its entries, closing what was opened if one fails. */
async function gather(
  locations: readonly Location[],
  common: Common,
  built: BuiltSource,
  opened: ImageSource[],
) {
  const all: SourcedEntry[] = [];
  let docker = true;
  for (const location of locations) {
    const source = await openSource(location, common.client);
    opened.push(source);
    const { entries, docker: isDocker } = await entriesOf(source, built);
    docker &&= isDocker;
    all.push(...entries);
  }
  return { entries: all, docker };
}

async function withBuilt<T>(
  description: string,
  work: (built: BuiltSource, opened: ImageSource[]) => Promise<T>,
) {
  const opened: ImageSource[] = [];
  const built = new BuiltSource(description, opened);
  try {
    return { built, value: await work(built, opened) };
  } catch (err) {
    await built.close();
    throw err;
  }
}

export async function buildIndexCreate(request: CreateRequest): Promise<BuiltIndex> {
  if (request.sources.length === 0) throw new UsageError('index create needs at least one SOURCE');
  const { built, value } = await withBuilt('a new index', async (built, opened) => {
    const { entries, docker } = await gather(request.sources, request, built, opened);
    const kind = request.mediaType ?? (docker ? 'docker' : 'oci');
    const mediaType = kind === 'docker' ? MediaType.dockerManifestList : MediaType.ociIndex;
    checkAnnotations(mediaType, request.annotations);
    const kept = dedupe(entries);
    const annotations =
      request.annotations && Object.keys(request.annotations).length > 0 ? request.annotations : undefined;
    const root = finish(
      built,
      {
        schemaVersion: 2,
        mediaType,
        manifests: kept.map((e) => e.descriptor),
        ...(annotations ? { annotations } : {}),
      },
      mediaType,
    );
    return { root, entries: kept, removed: [] };
  });
  return { source: built, ...value };
}

/** The index at `location`, as entries (refused when it is an image, not an index). */
async function readIndex(location: Location, common: Common, built: BuiltSource, opened: ImageSource[]) {
  const source = await openSource(location, common.client);
  opened.push(source);
  const root = await source.root();
  const parsed = parseManifest(root.bytes, root.descriptor.mediaType, `manifest of ${source.description}`);
  if (parsed.kind !== 'index')
    throw new UsageError(`${source.description} is an image, not an index`, {
      hint: 'make an index of it first: ferry index create DST IMAGE',
    });
  const doc = JSON.parse(root.bytes.toString('utf8')) as Record<string, unknown>;
  for (const child of parsed.index.manifests) built.adopt(child, source);
  const entries = parsed.index.manifests.map((descriptor) => ({ descriptor, from: source.description }));
  return { doc, mediaType: parsed.mediaType, entries };
}

function edited(
  built: BuiltSource,
  doc: Record<string, unknown>,
  mediaType: string,
  entries: SourcedEntry[],
  annotations: Common['annotations'],
): StoredManifest {
  checkAnnotations(mediaType, annotations);
  doc['manifests'] = entries.map((e) => e.descriptor);
  if (annotations && Object.keys(annotations).length > 0) {
    const current = doc['annotations'];
    doc['annotations'] = {
      ...(typeof current === 'object' && current !== null ? current : {}),
      ...annotations,
    };
  }
  return finish(built, doc, mediaType);
}

/** Takes `gone` (images) out of `entries`, with the attestations that describe them. */
function without(
  entries: readonly SourcedEntry[],
  gone: ReadonlySet<string>,
  removed: Descriptor[],
): SourcedEntry[] {
  return entries.filter((e) => {
    const out = gone.has(e.descriptor.digest) || [...gone].some((digest) => describes(e.descriptor, digest));
    if (out) removed.push(e.descriptor);
    return !out;
  });
}

export async function buildIndexAdd(request: AddRequest): Promise<BuiltIndex> {
  if (request.sources.length === 0) throw new UsageError('index add needs at least one SOURCE');
  const { built, value } = await withBuilt('an edited index', async (built, opened) => {
    const index = await readIndex(request.index, request, built, opened);
    const { entries: added } = await gather(request.sources, request, built, opened);
    const present = new Set(index.entries.map((e) => e.descriptor.digest));
    const fresh = added.filter((e) => !present.has(e.descriptor.digest));
    // A new image for a platform the index has replaces the old one.
    const newPlatforms = new Set(
      fresh.flatMap((e) =>
        e.descriptor.platform && !isAttestation(e.descriptor) ? [platformKey(e.descriptor.platform)] : [],
      ),
    );
    const replaced = new Set(
      index.entries
        .filter(
          (e) =>
            e.descriptor.platform &&
            !isAttestation(e.descriptor) &&
            newPlatforms.has(platformKey(e.descriptor.platform)),
        )
        .map((e) => e.descriptor.digest),
    );
    const removed: Descriptor[] = [];
    const entries = dedupe([...without(index.entries, replaced, removed), ...fresh]);
    const root = edited(built, index.doc, index.mediaType, entries, request.annotations);
    return { root, entries, removed };
  });
  return { source: built, ...value };
}

export async function buildIndexRemove(request: RemoveRequest): Promise<BuiltIndex> {
  if (request.platforms.length === 0 && request.digests.length === 0)
    throw new UsageError('index remove needs --platform or --digest: which entries to take out');
  const { built, value } = await withBuilt('an edited index', async (built, opened) => {
    const index = await readIndex(request.index, request, built, opened);
    const gone = new Set<string>();
    for (const wanted of request.platforms) {
      const matches = index.entries.filter(
        (e) =>
          e.descriptor.platform &&
          !isAttestation(e.descriptor) &&
          platformMatches(wanted, e.descriptor.platform),
      );
      if (matches.length === 0)
        throw platformNotOffered(indexName(request.index, index.entries), wanted, platformsOf(index.entries));
      for (const m of matches) gone.add(m.descriptor.digest);
    }
    for (const digest of request.digests) {
      if (!index.entries.some((e) => e.descriptor.digest === digest))
        throw new NotFoundError(
          `${indexName(request.index, index.entries)} has no entry ${digest} (its images: ${platformsOf(index.entries).join(', ') || 'none'})`,
        );
      gone.add(digest);
    }
    const removed: Descriptor[] = [];
    const entries = without(index.entries, gone, removed);
    if (!entries.some((e) => !isAttestation(e.descriptor)))
      throw new UsageError('that would leave the index without an image', {
        hint: 'delete the tag instead: ferry delete',
      });
    const root = edited(built, index.doc, index.mediaType, entries, request.annotations);
    return { root, entries, removed };
  });
  return { source: built, ...value };
}

/** The index, for a not-found message. */
function indexName(location: Location, entries: readonly SourcedEntry[]): string {
  return entries[0]?.from ?? registryRef(location)?.repository ?? describeLocation(location);
}

/** The platforms of an index's images (its attestations left out). */
function platformsOf(entries: readonly SourcedEntry[]): string[] {
  return entries.flatMap((e) =>
    e.descriptor.platform && !isAttestation(e.descriptor) ? [formatPlatform(e.descriptor.platform)] : [],
  );
}
