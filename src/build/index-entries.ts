/**
 * The index entries a source gives `index create` and `index add`: an image gives one, an index
 * gives all of its entries (its attestations among them, which go with the images they describe).
 * Each image entry's platform is read from the image's config (os, architecture, variant,
 * os.version, os.features: image-spec config.md), never guessed, so an index names what its
 * children really are; what the config leaves out is kept from the source index's entry.
 */
import { UsageError } from '../errors.js';
import type { Descriptor, Platform } from '../image/descriptor.js';
import { parseManifest } from '../image/manifest.js';
import { isIndexType, MediaType } from '../image/media-types.js';
import { isAttestation } from '../image/platform.js';
import type { ImageSource, StoredManifest } from '../store/store.js';
import type { BuiltSource } from './built-source.js';
import { configPlatform, isImageConfigType, parseConfig } from './config-edit.js';
import { readSmallBlob } from './read-blob.js';

export interface SourcedEntry {
  descriptor: Descriptor;
  /** Where it comes from, for messages: the source's description. */
  from: string;
}

export interface SourceEntries {
  entries: SourcedEntry[];
  /** The source's root is Docker-typed (a v2 schema 2 manifest or a manifest list). */
  docker: boolean;
}

/** The config's platform, with what it lacks filled in from the entry's. */
function mergedPlatform(config: Platform | undefined, entry: Platform | undefined): Platform | undefined {
  if (config === undefined) return entry;
  if (entry === undefined) return config;
  const merged: Platform = { ...config };
  if (merged.variant === undefined && entry.variant !== undefined) merged.variant = entry.variant;
  if (merged['os.version'] === undefined && entry['os.version'] !== undefined)
    merged['os.version'] = entry['os.version'];
  if (merged['os.features'] === undefined && entry['os.features'] !== undefined)
    merged['os.features'] = entry['os.features'];
  return merged;
}

/**
 * An image manifest's entry: its descriptor (extra fields of `entry` kept) with the platform from
 * its config. An artifact (no image config) keeps the entry's platform, or has none.
 */
async function imageEntry(
  source: ImageSource,
  manifest: StoredManifest,
  entry: Descriptor,
  what: string,
): Promise<{ descriptor: Descriptor; artifact: boolean }> {
  const parsed = parseManifest(manifest.bytes, manifest.descriptor.mediaType, what);
  if (parsed.kind !== 'image')
    return { descriptor: { ...entry, mediaType: parsed.mediaType }, artifact: false };
  const config = parsed.manifest.config;
  const { platform: _old, ...rest } = entry;
  if (!isImageConfigType(config.mediaType))
    return { descriptor: { ...entry, mediaType: parsed.mediaType }, artifact: true };
  const doc = parseConfig(await readSmallBlob(source, config, `config of ${what}`), `config of ${what}`);
  const platform = mergedPlatform(configPlatform(doc), entry.platform);
  return {
    descriptor: { ...rest, mediaType: parsed.mediaType, ...(platform ? { platform } : {}) },
    artifact: false,
  };
}

/** The entries `source` gives an index; the manifests read on the way are kept in `built`. */
export async function entriesOf(source: ImageSource, built: BuiltSource): Promise<SourceEntries> {
  const root = await source.root();
  const parsed = parseManifest(root.bytes, root.descriptor.mediaType, `manifest of ${source.description}`);
  const from = source.description;
  if (parsed.kind === 'image') {
    const stored = { descriptor: { ...root.descriptor, mediaType: parsed.mediaType }, bytes: root.bytes };
    const { descriptor, artifact } = await imageEntry(source, stored, stored.descriptor, from);
    if (artifact)
      throw new UsageError(
        `${from} is an artifact (its config is ${parsed.manifest.config.mediaType}), not an image: an index of platforms holds images`,
      );
    built.keep(stored, source);
    return { entries: [{ descriptor, from }], docker: parsed.mediaType === MediaType.dockerManifest };
  }
  const entries: SourcedEntry[] = [];
  for (const child of parsed.index.manifests) {
    if (isAttestation(child) || isIndexType(child.mediaType)) {
      built.adopt(child, source);
      entries.push({ descriptor: child, from });
      continue;
    }
    const bytes = await source.manifest(child);
    const stored = { descriptor: child, bytes };
    const { descriptor } = await imageEntry(source, stored, child, `${from} (${child.digest})`);
    built.keep({ descriptor: { ...child, mediaType: descriptor.mediaType }, bytes }, source);
    entries.push({ descriptor, from });
  }
  return { entries, docker: parsed.mediaType === MediaType.dockerManifestList };
}
