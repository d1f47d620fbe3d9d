/**
 * The one core function behind `copy`, `pull` and `push`: open the source and destination
 * stores for two locations and run the copy engine between them. `pull` is copy(registry →
 * file), `push` is copy(file → registry), `copy` is registry → registry.
 */
import { UsageError } from '../errors.js';
import type { Retrier } from '../http/retry.js';
import type { Platform } from '../image/descriptor.js';
import { hostPlatform } from '../image/platform.js';
import { familiarName } from '../ref/index.js';
import type { RegistryClient } from '../registry/client.js';
import type { Location } from '../store/location.js';
import { openDestination, openSource } from '../store/open.js';
import { copyImage } from './copy-image.js';
import type { CopyListener, CopySummary } from './events.js';

export interface TransferOptions {
  client: (registry: string) => RegistryClient;
  platforms?: readonly Platform[] | undefined;
  jobs: number;
  onEvent?: CopyListener | undefined;
  /** Where `-` as a file destination writes (pull to stdout). */
  stdout?: NodeJS.WritableStream | undefined;
  /** Registry uploads in PATCHes of this many bytes (--chunk-size). */
  chunkSize?: number | undefined;
  /** Whole-blob retries (copy-image.ts); the registry clients carry the same policy. */
  retrier?: Retrier | undefined;
}

/** The tag a destination gets: its own, else the source's, else 'latest'. */
function destinationTag(source: Location, destination: Location): string | undefined {
  const sourceTag =
    source.kind === 'registry' ? source.ref.tag : source.kind === 'docker-archive' ? undefined : source.tag;
  switch (destination.kind) {
    case 'registry':
      return destination.ref.digest && !destination.ref.tag ? undefined : (destination.ref.tag ?? 'latest');
    case 'docker-archive':
      return undefined;
    default:
      return destination.tag ?? sourceTag ?? 'latest';
  }
}

/** RepoTags for a docker-archive: its own REF, else the source image's name. */
function repoTags(source: Location, destination: Location): string[] {
  if (destination.kind !== 'docker-archive') return [];
  if (destination.ref) return [destination.ref];
  if (source.kind !== 'registry' || !source.ref.tag) return [];
  const { digest: _digest, ...byTag } = source.ref;
  return [familiarName(byTag)];
}

export async function transferImage(
  source: Location,
  destination: Location,
  options: TransferOptions,
): Promise<CopySummary> {
  const src = await openSource(source, options.client);
  try {
    // A docker-archive holds one image: pick a platform from an index (the host's by default).
    const singlePlatform = destination.kind === 'docker-archive';
    const platforms =
      options.platforms && options.platforms.length > 0
        ? options.platforms
        : singlePlatform
          ? [hostPlatform()]
          : undefined;
    if (singlePlatform && platforms && platforms.length > 1) {
      throw new UsageError('a docker-archive holds one image: give at most one --platform');
    }
    const dst = await openDestination(destination, options.client, {
      repoTags: repoTags(source, destination),
      stdout: options.stdout,
      chunkSize: options.chunkSize,
    });
    return await copyImage(src, dst, {
      platforms,
      tag: destinationTag(source, destination),
      jobs: options.jobs,
      compressLayers: true,
      onEvent: options.onEvent,
      retrier: options.retrier,
    });
  } finally {
    await src.close();
  }
}
