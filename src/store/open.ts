/** Opens the store behind a Location, as a source or as a destination. */
import type { Writable } from 'node:stream';
import type { RegistryClient } from '../registry/client.js';
import { openDockerArchiveDestination, openDockerArchiveSource } from './docker-archive.js';
import { archiveNames, type Location } from './location.js';
import { openOciArchiveDestination, openOciArchiveSource } from './oci-archive.js';
import { openOciLayoutDestination, openOciLayoutSource } from './oci-layout.js';
import { RegistryDestination, RegistrySource } from './registry.js';
import type { ImageDestination, ImageSource } from './store.js';

type ClientFor = (registry: string) => RegistryClient;

export async function openSource(location: Location, client: ClientFor): Promise<ImageSource> {
  switch (location.kind) {
    case 'registry':
      return new RegistrySource(client(location.ref.registry), location.ref);
    case 'oci':
      return openOciLayoutSource(location.path, location.tag);
    case 'oci-archive':
      return openOciArchiveSource(location.path, location.tag);
    case 'docker-archive':
      return openDockerArchiveSource(location.path, location.ref);
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
    case 'registry':
      return new RegistryDestination(client(location.ref.registry), location.ref, options.chunkSize);
    case 'oci':
      return openOciLayoutDestination(location.path, location.tag);
    case 'oci-archive':
      return openOciArchiveDestination(target(location.path), location.tag);
    case 'docker-archive':
      return openDockerArchiveDestination(target(location.path), {
        repoTags: archiveNames(options.source, location),
      });
  }
}
