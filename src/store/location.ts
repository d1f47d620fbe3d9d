/**
 * Where an image lives, as the user writes it (the transports skopeo users know):
 *
 *   docker://REF or plain REF    a registry         ghcr.io/org/app:1.0
 *   oci:DIR[:TAG]                an OCI layout directory
 *   oci-archive:FILE[:TAG]       an OCI layout in a tar file
 *   docker-archive:FILE[:REF]    a `docker save` tarball (REF is the RepoTags entry)
 *
 * The optional suffix is split at the LAST ':' that is not part of the path, so a
 * docker-archive REF like `app:1.0` is read as `FILE:app:1.0` → ref `app:1.0`.
 */
import { UsageError } from '../errors.js';
import { familiarName, formatReference, parseReference, type Reference } from '../ref/index.js';

export type Location =
  | { kind: 'registry'; ref: Reference }
  | { kind: 'oci'; path: string; tag?: string | undefined }
  | { kind: 'oci-archive'; path: string; tag?: string | undefined }
  | { kind: 'docker-archive'; path: string; ref?: string | undefined };

function splitPath(rest: string, transport: string): { path: string; suffix?: string } {
  if (rest === '')
    throw new UsageError(
      `${transport}: needs a path, e.g. ${transport}:./image${transport === 'oci' ? '' : '.tar'}`,
    );
  const slash = rest.lastIndexOf('/');
  const colon = rest.indexOf(':', slash + 1);
  if (colon === -1) return { path: rest };
  const path = rest.slice(0, colon);
  const suffix = rest.slice(colon + 1);
  if (path === '') throw new UsageError(`${transport}:${rest}: the path is empty`);
  return suffix === '' ? { path } : { path, suffix };
}

/**
 * A path as the user would type one: `./x`, `../x`, `/x`, `~/x`, `.`, `..`. None of these is an
 * image reference either (the grammar has no leading '.', '/' or '~').
 */
export const PATH_LIKE = /^(?:\.\.?(?:\/|$)|\/|~)/;

export function parseLocation(input: string): Location {
  const m = /^(docker|oci|oci-archive|docker-archive):(.*)$/s.exec(input);
  if (!m) {
    // Read as a reference, './app.tar' would fail on its "host" '.': say what it is instead.
    if (PATH_LIKE.test(input))
      throw new UsageError(`'${input}' is a path, not an image reference`, {
        hint: `name what it holds: oci:${input} (a layout directory), oci-archive:${input} or docker-archive:${input} (a tarball)`,
      });
    return { kind: 'registry', ref: parseReference(input) };
  }
  const [, transport, rest = ''] = m;
  switch (transport) {
    case 'docker':
      return { kind: 'registry', ref: parseReference(rest.replace(/^\/\//, '')) };
    case 'oci':
    case 'oci-archive': {
      const { path, suffix } = splitPath(rest, transport);
      return { kind: transport, path, tag: suffix };
    }
    default: {
      // docker-archive:FILE:REF — REF may itself hold a ':' (name:tag), so split at the first ':' after the path.
      const slash = rest.lastIndexOf('/', rest.indexOf(':') === -1 ? rest.length : rest.indexOf(':'));
      const colon = rest.indexOf(':', slash + 1);
      const path = colon === -1 ? rest : rest.slice(0, colon);
      const ref = colon === -1 ? undefined : rest.slice(colon + 1) || undefined;
      if (path === '') throw new UsageError('docker-archive: needs a path, e.g. docker-archive:./image.tar');
      return { kind: 'docker-archive', path, ref };
    }
  }
}

export function describeLocation(location: Location): string {
  switch (location.kind) {
    case 'registry':
      return `docker://${location.ref.registry}/${location.ref.repository}${location.ref.tag ? `:${location.ref.tag}` : ''}${location.ref.digest ? `@${location.ref.digest}` : ''}`;
    case 'docker-archive':
      return `docker-archive:${location.path}${location.ref ? `:${location.ref}` : ''}`;
    default:
      return `${location.kind}:${location.path}${location.tag ? `:${location.tag}` : ''}`;
  }
}

/**
 * The tag a copy's root gets at `destination`: its own, else the source's, else 'latest'. A
 * registry destination named by digest alone gets none (the root is stored by digest); a
 * docker-archive has RepoTags instead (archiveNames).
 */
export function destinationTag(source: Location, destination: Location): string | undefined {
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

/** RepoTags for a docker-archive destination: its own REF, else the source image's name. */
export function archiveNames(source: Location, destination: Location): string[] {
  if (destination.kind !== 'docker-archive') return [];
  if (destination.ref) return [destination.ref];
  if (source.kind !== 'registry' || !source.ref.tag) return [];
  const { digest: _digest, ...byTag } = source.ref;
  return [familiarName(byTag)];
}

/** The reference of a registry location, or undefined for a file. */
export function registryRef(location: Location): Reference | undefined {
  return location.kind === 'registry' ? location.ref : undefined;
}

/** The registry a location is on, or undefined for a file (a copy binds credentials per side). */
export function registryOf(location: Location): string | undefined {
  return registryRef(location)?.registry;
}

/**
 * A location that can hold an artifact or a referrer (a registry repository, an OCI layout or
 * tarball): a docker-archive holds one image and nothing that refers to it. `what` names the
 * argument in the error.
 */
export function artifactPlace(location: Location, what: string): Location {
  if (location.kind === 'docker-archive')
    throw new UsageError(
      `${what} '${describeLocation(location)}' is a docker-archive, which holds one image and nothing that refers to it: use a registry or an OCI layout`,
    );
  return location;
}

/** The repository or layout of an image, without its tag or digest (where a referrer of it goes, by digest). */
export function withoutTag(location: Location): Location {
  switch (location.kind) {
    case 'registry':
      return {
        kind: 'registry',
        ref: { registry: location.ref.registry, repository: location.ref.repository },
      };
    case 'docker-archive':
      return { kind: 'docker-archive', path: location.path };
    default:
      return { kind: location.kind, path: location.path };
  }
}

/** Whether two locations are the same repository or the same layout (where a subject must be). */
export function samePlace(a: Location, b: Location): boolean {
  if (a.kind === 'registry' && b.kind === 'registry')
    return a.ref.registry === b.ref.registry && a.ref.repository === b.ref.repository;
  return a.kind === b.kind && a.kind !== 'registry' && b.kind !== 'registry' && a.path === b.path;
}

/** A manifest at a location by its digest, as one word: `host/repo@sha256:…`, or `oci:DIR:sha256:…`. */
export function describeByDigest(location: Location, digest: string): string {
  if (location.kind === 'registry')
    return formatReference({ registry: location.ref.registry, repository: location.ref.repository, digest });
  return `${describeLocation(withoutTag(location))}:${digest}`;
}
