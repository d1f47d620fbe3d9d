/** Blob endpoints (distribution-spec end-2, end-10/end-11, end-12): reading, checking, deleting. */

import type { Readable } from 'node:stream';
import { repositoryScope } from '../auth/scope.js';
import { VerifyingStream, verifyBytes } from '../digest/index.js';
import { FerryError, InvalidContentError, NotFoundError } from '../errors.js';
import { header } from '../http/types.js';
import type { Descriptor } from '../image/descriptor.js';
import { chain } from '../util/chain.js';
import type { RegistryClient } from './client.js';
import { resumableBody } from './resume.js';

/** Image configs are small; anything bigger than this read into memory is refused. */
const MAX_SMALL_BLOB = 16 * 1024 * 1024;

/** Fetches a small blob (a config) whole into memory, verified against its descriptor. */
export async function getSmallBlob(
  client: RegistryClient,
  repository: string,
  descriptor: Descriptor,
): Promise<Buffer> {
  const what = `blob ${descriptor.digest} of ${client.registry}/${repository}`;
  if (descriptor.size > MAX_SMALL_BLOB)
    throw new InvalidContentError(`${what} is too large to read into memory (${descriptor.size} bytes)`);
  const req = {
    method: 'GET' as const,
    path: `/v2/${repository}/blobs/${descriptor.digest}`,
    scopes: [repositoryScope(repository, ['pull'])],
  };
  const { bytes } = await client.fetchBytes(req, what, MAX_SMALL_BLOB);
  verifyBytes(bytes, descriptor, what);
  return bytes;
}

const blobPath = (repository: string, digest: string) => `/v2/${repository}/blobs/${digest}`;

/** HEAD a blob (end-2): absent (404), or present with the size its Content-Length states, if any. */
export async function headBlob(
  client: RegistryClient,
  repository: string,
  digest: string,
  scopes: readonly string[],
): Promise<{ found: false } | { found: true; size: number | undefined }> {
  const req = { method: 'HEAD' as const, path: blobPath(repository, digest), scopes };
  const res = await client.request(req);
  await res.body.dump();
  if (res.status === 404) return { found: false };
  if (res.status !== 200)
    throw await client.error(req.method, res, `blob ${digest} of ${client.registry}/${repository}`);
  const length = header(res.headers, 'content-length');
  return { found: true, size: length !== undefined && /^\d+$/.test(length) ? Number(length) : undefined };
}

/** HEAD a blob: true when the registry has it (with the size the descriptor says, when it reports one). */
export async function blobExists(
  client: RegistryClient,
  repository: string,
  descriptor: Descriptor,
  scopes: readonly string[],
): Promise<boolean> {
  const head = await headBlob(client, repository, descriptor.digest, scopes);
  return head.found && (head.size === undefined || head.size === descriptor.size);
}

/**
 * GET a blob as a stream that verifies digest and size as it flows (digest/verify.ts) and
 * resumes with Range where the connection breaks (resume.ts). Follows the registry's redirect to
 * object storage without carrying Authorization there (http/redirect.ts).
 */
export async function getBlobStream(
  client: RegistryClient,
  repository: string,
  descriptor: Descriptor,
): Promise<Readable> {
  const what = `blob ${descriptor.digest} of ${client.registry}/${repository}`;
  const request = {
    method: 'GET' as const,
    path: blobPath(repository, descriptor.digest),
    scopes: [repositoryScope(repository, ['pull'])],
  };
  const body = await resumableBody({ client, request, size: descriptor.size, what });
  const verify = new VerifyingStream({ digest: descriptor.digest, size: descriptor.size, what });
  return chain(body, verify);
}

/**
 * DELETE /v2/<name>/blobs/<digest> (end-12). Distribution answers 202; 405 when deletes are off
 * (storage.delete.enabled), which most hosted registries never allow through the API.
 */
export async function deleteBlob(client: RegistryClient, repository: string, digest: string): Promise<void> {
  const what = `blob ${digest} of ${client.registry}/${repository}`;
  const req = {
    method: 'DELETE' as const,
    path: blobPath(repository, digest),
    scopes: [repositoryScope(repository, ['pull', 'push', 'delete'])],
  };
  const res = await client.request(req);
  if (res.status === 202 || res.status === 200 || res.status === 204) {
    await res.body.dump();
    return;
  }
  const err = await client.error(req.method, res, `deleting ${what}`);
  if (res.status === 404) throw new NotFoundError(`${what} not found`, { cause: err });
  if (res.status === 405) {
    throw new FerryError('E_UNSUPPORTED', `${client.registry} refuses to delete blobs (HTTP 405)`, {
      hint: 'a self-hosted Distribution registry needs storage.delete.enabled: true; many hosted registries never allow deletes through the API',
      cause: err,
    });
  }
  throw err;
}
