/**
 * Reading one image for the read commands (`manifest`, `config`, `digest`), from any location the
 * store layer opens: a registry, an OCI layout, an OCI tarball, a docker-archive. Read-only: the
 * source is opened, asked for its root (and a child or a config), and closed.
 *
 * `--platform` is checked the same way everywhere (image/platform.ts requirePlatform): an index
 * gives the matching child, a single image must state a matching platform in its config, and
 * anything else fails listing what is there. A registry's digest without `--platform` stays one
 * HEAD (Docker Hub does not count it as a pull).
 */
import { InvalidContentError } from '../errors.js';
import { MAX_CONFIG_BYTES, summarizeConfig } from '../image/config.js';
import type { Descriptor, Platform } from '../image/descriptor.js';
import { type ParsedManifest, parseManifest } from '../image/manifest.js';
import { MediaType } from '../image/media-types.js';
import { hostPlatform, requirePlatform } from '../image/platform.js';
import { formatReference } from '../ref/index.js';
import type { RegistryClient } from '../registry/client.js';
import { resolveDigest } from '../registry/resolve.js';
import { describeLocation, type Location } from './location.js';
import { RegistrySource } from './registry.js';
import type { ImageSource } from './store.js';

type ClientFor = (registry: string) => RegistryClient;

/** How output and messages name a location: `host/repo:tag` for a registry, `oci:DIR:TAG` for files. */
export function locationName(location: Location): string {
  return location.kind === 'registry' ? formatReference(location.ref) : describeLocation(location);
}

export interface InspectedManifest {
  /** locationName() of what was asked for. */
  name: string;
  /** Of the manifest returned: the index's child when a platform was picked out of one. */
  descriptor: Descriptor;
  /** Exactly as stored or served (a digest is over these bytes). */
  bytes: Buffer;
  parsed: ParsedManifest;
  /** The platform asked for, as the index entry or the image's config states it; else undefined. */
  platform: Platform | undefined;
  /** The config's bytes, when checking a single image's platform read them already. */
  config?: Buffer | undefined;
}

const IMAGE_CONFIG_TYPES = new Set<string>([MediaType.ociConfig, MediaType.dockerConfig]);

/** A config blob whole, verified (the source's stream fails at its end on a mismatch). */
export async function readConfig(source: ImageSource, descriptor: Descriptor, name: string): Promise<Buffer> {
  if (descriptor.size > MAX_CONFIG_BYTES) {
    throw new InvalidContentError(
      `config ${descriptor.digest} of ${name} is ${descriptor.size} bytes, more than the ${MAX_CONFIG_BYTES} a config may be`,
    );
  }
  const chunks: Buffer[] = [];
  for await (const chunk of await source.blob(descriptor)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/**
 * The root of `source`, or with `platform` the image for it: an index's child, or the root itself
 * when it is a single image whose config states that platform. `indexDefault` is the platform to
 * pick out of an index when none was asked for (config's host platform).
 */
export async function resolveImage(
  source: ImageSource,
  name: string,
  asked: Platform | undefined,
  indexDefault?: Platform,
): Promise<InspectedManifest> {
  const root = await source.root();
  const parsed = parseManifest(root.bytes, root.descriptor.mediaType, `manifest of ${name}`);
  const top: InspectedManifest = {
    name,
    descriptor: { ...root.descriptor, mediaType: root.descriptor.mediaType || parsed.mediaType },
    bytes: root.bytes,
    parsed,
    platform: undefined,
  };
  const platform = asked ?? (parsed.kind === 'index' ? indexDefault : undefined);
  if (platform === undefined) return top;
  if (parsed.kind === 'image') {
    const { config } = parsed.manifest;
    // An artifact's config (any other media type) is no image config: it states no platform.
    const bytes = IMAGE_CONFIG_TYPES.has(config.mediaType)
      ? await readConfig(source, config, name)
      : undefined;
    const stated = bytes && summarizeConfig(bytes).platform;
    requirePlatform(name, { kind: 'image', platform: stated }, platform);
    return { ...top, platform: stated, config: bytes };
  }
  const child = requirePlatform(name, { kind: 'index', manifests: parsed.index.manifests }, platform);
  if (child === undefined) return top; // not reached: an index answers with a child or throws
  const bytes = await source.manifest(child);
  const childParsed = parseManifest(bytes, child.mediaType, `manifest ${child.digest} of ${name}`);
  return {
    name,
    descriptor: {
      mediaType: child.mediaType || childParsed.mediaType,
      digest: child.digest,
      size: child.size,
    },
    bytes,
    parsed: childParsed,
    platform: child.platform,
  };
}

async function withSource<T>(
  location: Location,
  clientFor: ClientFor,
  work: (source: ImageSource, name: string) => Promise<T>,
): Promise<T> {
  // The file stores (tar-stream among them) load only for files: `digest REF` stays light at start.
  const source =
    location.kind === 'registry'
      ? new RegistrySource(clientFor(location.ref.registry), location.ref)
      : await (await import('./open.js')).openSource(location, clientFor);
  try {
    return await work(source, locationName(location));
  } finally {
    await source.close();
  }
}

/** `ferry manifest`: the manifest or index a location names, or with `platform` the image for it. */
export function inspectManifest(
  location: Location,
  clientFor: ClientFor,
  platform?: Platform,
): Promise<InspectedManifest> {
  return withSource(location, clientFor, (source, name) => resolveImage(source, name, platform));
}

/**
 * `ferry digest`: a registry answers a HEAD (GET only when it sends no Docker-Content-Digest);
 * with `platform`, or for files, the manifest is read and resolved as `inspectManifest` does.
 */
export async function inspectDigest(
  location: Location,
  clientFor: ClientFor,
  platform?: Platform,
): Promise<string> {
  if (location.kind === 'registry' && platform === undefined)
    return resolveDigest(clientFor(location.ref.registry), location.ref);
  return (await inspectManifest(location, clientFor, platform)).descriptor.digest;
}

export interface InspectedConfig {
  name: string;
  /** The config, exactly as stored (its digest is the image ID). */
  bytes: Buffer;
  digest: string;
  /** The image's platform when one was asked for or picked out of an index; else undefined. */
  platform: Platform | undefined;
  /** true when `platform` is the host's, picked out of an index because none was asked for. */
  defaultPlatform: boolean;
}

/**
 * `ferry config`: the config of the image a location names. An index is resolved to `platform`,
 * by default the host's (as `pull` and skopeo's `inspect --config` do); a single image must state
 * `platform` when one is given.
 */
export function inspectConfig(
  location: Location,
  clientFor: ClientFor,
  platform?: Platform,
): Promise<InspectedConfig> {
  return withSource(location, clientFor, async (source, name) => {
    const image = await resolveImage(source, name, platform, hostPlatform());
    const defaultPlatform = platform === undefined && image.platform !== undefined;
    if (image.parsed.kind !== 'image') {
      // A child that is an index again is not an image.
      throw new InvalidContentError(`${name} for ${image.descriptor.digest} is not an image manifest`);
    }
    const { config } = image.parsed.manifest;
    return {
      name,
      bytes: image.config ?? (await readConfig(source, config, name)),
      digest: config.digest,
      platform: image.platform,
      defaultPlatform,
    };
  });
}
