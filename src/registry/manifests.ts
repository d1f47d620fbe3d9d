/**
 * Manifest endpoints: GET and HEAD /v2/<name>/manifests/<reference>
 * (opencontainers/distribution-spec spec.md, "Pulling manifests", end-3).
 *
 * Always sends the full Accept list (image/media-types.ts explains why Distribution needs all
 * four), caps the size, and checks the bytes against the digest asked for and against the
 * registry's Docker-Content-Digest before anything uses them.
 */
import { repositoryScope } from '../auth/scope.js';
import { type Algorithm, digestOf, isDigest } from '../digest/index.js';
import { DigestMismatchError } from '../errors.js';
import { header } from '../http/types.js';
import { MAX_MANIFEST_BYTES } from '../image/manifest.js';
import { MANIFEST_ACCEPT } from '../image/media-types.js';
import type { RegistryClient } from './client.js';

export interface FetchedManifest {
  bytes: Buffer;
  mediaType: string;
  digest: string;
}

export interface ManifestHead {
  digest: string | undefined;
  mediaType: string | undefined;
  size: number | undefined;
}

const manifestPath = (repository: string, reference: string) => `/v2/${repository}/manifests/${reference}`;
const display = (client: RegistryClient, repository: string, reference: string) =>
  `${client.registry}/${repository}${isDigest(reference) ? '@' : ':'}${reference}`;

export async function getManifest(
  client: RegistryClient,
  repository: string,
  reference: string,
): Promise<FetchedManifest> {
  const req = {
    method: 'GET' as const,
    path: manifestPath(repository, reference),
    headers: { accept: MANIFEST_ACCEPT.join(', ') },
    scopes: [repositoryScope(repository, ['pull'])],
  };
  const what = `manifest ${display(client, repository, reference)}`;
  const { bytes, res } = await client.fetchBytes(req, what, MAX_MANIFEST_BYTES);
  const digest = verifyManifestDigest(what, bytes, reference, header(res.headers, 'docker-content-digest'));
  const contentType = header(res.headers, 'content-type')?.split(';')[0]?.trim();
  return { bytes, mediaType: contentType ?? '', digest };
}

/**
 * The digest of manifest bytes, checked against the digest requested (if the reference is one)
 * and against Docker-Content-Digest (if the registry sent a valid one).
 */
export function verifyManifestDigest(
  what: string,
  bytes: Buffer,
  reference: string,
  headerDigest: string | undefined,
): string {
  const requested = isDigest(reference) ? reference : undefined;
  const algorithm = (requested?.split(':')[0] ?? 'sha256') as Algorithm;
  const actual = digestOf(bytes, algorithm);
  if (requested && actual !== requested) throw new DigestMismatchError(what, requested, actual);
  if (headerDigest && isDigest(headerDigest)) {
    const byHeaderAlg = headerDigest.startsWith(`${algorithm}:`)
      ? actual
      : digestOf(bytes, headerDigest.split(':')[0] as Algorithm);
    if (byHeaderAlg !== headerDigest) throw new DigestMismatchError(what, headerDigest, byHeaderAlg);
  }
  return actual;
}

/** HEAD a manifest: undefined when the registry says 404, its headers otherwise. */
export async function headManifest(
  client: RegistryClient,
  repository: string,
  reference: string,
): Promise<ManifestHead | undefined> {
  const req = {
    method: 'HEAD' as const,
    path: manifestPath(repository, reference),
    headers: { accept: MANIFEST_ACCEPT.join(', ') },
    scopes: [repositoryScope(repository, ['pull'])],
  };
  const res = await client.request(req);
  if (res.status === 404) {
    await res.body.dump();
    return undefined;
  }
  if (res.status !== 200)
    throw await client.error(req.method, res, `manifest ${display(client, repository, reference)}`);
  await res.body.dump();
  const digest = header(res.headers, 'docker-content-digest');
  const size = header(res.headers, 'content-length');
  return {
    digest: digest && isDigest(digest) ? digest : undefined,
    mediaType: header(res.headers, 'content-type')?.split(';')[0]?.trim(),
    size: size === undefined ? undefined : Number(size),
  };
}

/** PUT a manifest by digest or tag (distribution-spec end-7); the registry must answer 201. */
export async function putManifest(
  client: RegistryClient,
  repository: string,
  reference: string,
  bytes: Buffer,
  mediaType: string,
): Promise<string | undefined> {
  const req = {
    method: 'PUT' as const,
    path: manifestPath(repository, reference),
    headers: { 'content-type': mediaType },
    body: bytes,
    scopes: [repositoryScope(repository, ['pull', 'push'])],
  };
  const res = await client.request(req);
  if (res.status !== 201 && res.status !== 200 && res.status !== 202) {
    throw await client.error(req.method, res, `pushing manifest ${display(client, repository, reference)}`);
  }
  await res.body.dump();
  return header(res.headers, 'docker-content-digest');
}

/** DELETE a manifest by digest or tag (end-9); returns the HTTP status so callers can fall back. */
export async function deleteManifest(
  client: RegistryClient,
  repository: string,
  reference: string,
): Promise<void> {
  const req = {
    method: 'DELETE' as const,
    path: manifestPath(repository, reference),
    scopes: [repositoryScope(repository, ['pull', 'push', 'delete'])],
  };
  const res = await client.request(req);
  if (res.status !== 202 && res.status !== 200 && res.status !== 204) {
    throw await client.error(req.method, res, `deleting manifest ${display(client, repository, reference)}`);
  }
  await res.body.dump();
}
