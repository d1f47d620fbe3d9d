/**
 * Opens the store behind a Location, as a source or as a destination. Each kind is loaded when
 * asked for: a registry-to-registry copy does not parse the tar, zstd and file stores at start.
 */
import type { Writable } from 'node:stream';
import type { RegistryClient } from '../registry/client.js';
import { archiveNames, type Location } from './location.js';
import type { ImageDestination, ImageSource } from './store.js';

type ClientFor = (registry: string) => RegistryClient;

export async function openSource(location: Location, client: ClientFor): Promise<ImageSource> {
  switch (location.kind) {
    case 'registry': {
      const { RegistrySource } = await import('./registry.js');
      return new RegistrySource(client(location.ref.registry), location.ref);
    }
    case 'oci':
      return (await import('./oci-layout.js')).openOciLayoutSource(location.path, location.tag);
    case 'oci-archive':
      return (await import('./oci-archive.js')).openOciArchiveSource(location.path, location.tag);
    case 'docker-archive':
      return (await import('./docker-archive.js')).openDockerArchiveSource(location.path, location.ref);
  }
}

export interface DestinationOptions {
  /** Where the image comes from: a docker-archive takes its RepoTags from there (archiveNames). */
  source: Location;
  /** Where a file destination named '-' writes. */
  stdout?: NodeJS.WritableStream | undefined;
  /** Registry uploads in PATCHes of this many bytes instead of one stream. */
  chunkSize?: number | undefined;
}

export async function openDestination(
  location: Location,
  client: ClientFor,
  options: DestinationOptions,
): Promise<ImageDestination> {
  const target = (path: string): string | Writable =>
    path === '-' && options.stdout ? (options.stdout as Writable) : path;
  switch (location.kind) {
    case 'registry': {
      const { RegistryDestination } = await import('./registry.js');
      return new RegistryDestination(client(location.ref.registry), location.ref, options.chunkSize);
    }
    case 'oci':
      return (await import('./oci-layout.js')).openOciLayoutDestination(location.path, location.tag);
    case 'oci-archive':
      return (await import('./oci-archive.js')).openOciArchiveDestination(
        target(location.path),
        location.tag,
      );
    case 'docker-archive':
      return (await import('./docker-archive.js')).openDockerArchiveDestination(target(location.path), {
        repoTags: archiveNames(options.source, location),
      });
  }
}
