/**
 * Blob uploads (distribution-spec "Pushing blobs", end-4a/4b/5/6/11/13):
 *
 *   POST /v2/<name>/blobs/uploads/          → 202 + Location (an upload session)
 *   PATCH <Location>  (the whole stream)     → 202 + Location
 *   PUT   <Location>&digest=<digest>         → 201
 *
 * One streamed PATCH, as skopeo and crane do; Distribution's Location already carries a query
 * (`_state=`), so the digest is appended with `&` (shared/lab/LAB.md §5). The digest may be
 * learnt while streaming (a layer gzip'd on the way): the final PUT is sent only after the
 * stream ended and verified. An upload that fails is cancelled (DELETE on its Location) so the
 * registry can free it.
 *
 * Cross-repository mount: POST ?mount=<digest>&from=<repo> → 201 when mounted; a 202 means the
 * registry opened a normal upload session instead (the source repository lacks the blob), which
 * is then cancelled so the caller can upload normally.
 */
import type { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { VerifyingStream } from '../digest/index.js';
import { DigestMismatchError, InvalidContentError } from '../errors.js';
import { header } from '../http/types.js';
import { chain } from '../util/chain.js';
import type { RegistryClient } from './client.js';

export interface UploadTarget {
  client: RegistryClient;
  repository: string;
  /** Scopes for the destination (pull,push on the repository; plus pull on a mount source). */
  scopes: readonly string[];
  /**
   * Send the blob in PATCHes of this many bytes (with Content-Range) instead of one streamed
   * PATCH, for registries and proxies that cap request bodies. Raised to the registry's
   * OCI-Chunk-Min-Length when it asks for more.
   */
  chunkSize?: number | undefined;
}

async function startUpload(
  target: UploadTarget,
  query = '',
): Promise<{ status: number; location: URL; minChunk: number }> {
  const { client, repository, scopes } = target;
  const req = {
    method: 'POST' as const,
    path: `/v2/${repository}/blobs/uploads/${query}`,
    scopes,
    headers: { 'content-length': '0' },
  };
  const res = await client.request(req);
  // Error answers are read (for the registry's own words) before anything dumps the body.
  if (res.status !== 202 && res.status !== 201) {
    throw await client.error(req.method, res, `starting an upload to ${client.registry}/${repository}`);
  }
  await res.body.dump();
  const location = header(res.headers, 'location');
  if (!location)
    throw new InvalidContentError(`${client.registry} answered an upload without a Location header`);
  const minChunk = Number(header(res.headers, 'oci-chunk-min-length') ?? 0);
  return {
    status: res.status,
    location: new URL(location, res.url),
    minChunk: Number.isSafeInteger(minChunk) ? minChunk : 0,
  };
}

/** How long a cancel may take; it runs on the way out, also after Ctrl-C. */
const CANCEL_TIMEOUT_MS = 3000;

async function cancelUpload(target: UploadTarget, location: URL): Promise<void> {
  try {
    const res = await target.client.request({
      method: 'DELETE',
      path: location,
      scopes: target.scopes,
      retry: false,
      detached: true,
      signal: AbortSignal.timeout(CANCEL_TIMEOUT_MS),
    });
    await res.body.dump();
  } catch {
    // Best effort: the registry purges abandoned uploads itself eventually.
  }
}

/**
 * Streams `data` as one blob; `expected` digest checked as it flows when known, else computed.
 * `verified`: `data` already fails at its end unless it matches `expected.digest` (a store's blob
 * stream, store.ts), so it is counted, not hashed a second time.
 */
export async function uploadBlob(
  target: UploadTarget,
  data: Readable,
  expected: { digest?: string; size?: number; verified?: boolean },
): Promise<{ digest: string; size: number }> {
  const { client, repository, scopes } = target;
  const what = `blob ${expected.digest ?? '(streamed)'} for ${client.registry}/${repository}`;
  const session = await startUpload(target);
  let location = session.location;
  try {
    const verify = new VerifyingStream({
      digest: expected.digest,
      size: expected.size,
      what,
      hash: expected.verified !== true,
    });
    const body = chain(data, verify);
    location = target.chunkSize
      ? await patchChunks(target, location, body, Math.max(target.chunkSize, session.minChunk), what)
      : await patchWhole(target, location, body, expected.size, what);
    // The registry may answer the PATCH as soon as the last byte arrived, before the data stream
    // has ended and given its verdict (the digest check is at its end): wait for it. A stream that
    // failed (digest mismatch, source error) must not be committed, whatever the registry said.
    await finished(body, { writable: false });
    const digest = verify.digest;
    if (!digest) throw new InvalidContentError(`${what}: the upload ended before the data did`);
    const put = new URL(location);
    put.searchParams.set('digest', digest);
    // retry: false — the whole upload is what retries (copy-image.ts), with a fresh session.
    const done = await client.request({
      method: 'PUT',
      path: put,
      scopes,
      headers: { 'content-length': '0' },
      retry: false,
    });
    if (done.status !== 201 && done.status !== 204) {
      const err = await client.error('PUT', done, `completing ${what}`);
      // The registry hashes what it received (Distribution's blobWriter.Commit) and refuses a
      // mismatch with 400 DIGEST_INVALID: the bytes changed between ferry's check and its disk.
      if (done.status === 400 && err.hasCode('DIGEST_INVALID'))
        throw new DigestMismatchError(`${what} (upload)`, digest, undefined, { cause: err });
      throw err;
    }
    await done.body.dump();
    return { digest, size: verify.bytes };
  } catch (err) {
    data.destroy();
    await cancelUpload(target, location);
    throw err;
  }
}

/** One streamed PATCH with the whole blob (what skopeo and crane send). Returns the next Location. */
async function patchWhole(
  target: UploadTarget,
  location: URL,
  body: Readable,
  size: number | undefined,
  what: string,
): Promise<URL> {
  const headers: Record<string, string> = { 'content-type': 'application/octet-stream' };
  if (size !== undefined) headers['content-length'] = String(size);
  const res = await target.client.request({
    method: 'PATCH',
    path: location,
    scopes: target.scopes,
    headers,
    body,
  });
  if (body.errored) {
    await res.body.dump();
    throw body.errored;
  }
  if (res.status !== 202 && res.status !== 204)
    throw await target.client.error('PATCH', res, `uploading ${what}`);
  await res.body.dump();
  const next = header(res.headers, 'location');
  return next ? new URL(next, res.url) : location;
}

/**
 * PATCHes of `chunkSize` bytes with Content-Range (distribution-spec "Pushing a blob in chunks").
 * Each chunk is held in memory while it is sent, so memory is bounded by the chunk size.
 */
async function patchChunks(
  target: UploadTarget,
  location: URL,
  body: Readable,
  chunkSize: number,
  what: string,
): Promise<URL> {
  let offset = 0;
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  const send = async (chunk: Buffer): Promise<void> => {
    const headers = {
      'content-type': 'application/octet-stream',
      'content-length': String(chunk.length),
      'content-range': `${offset}-${offset + chunk.length - 1}`,
    };
    const res = await target.client.request({
      method: 'PATCH',
      path: location,
      scopes: target.scopes,
      headers,
      body: chunk,
    });
    if (res.status !== 202 && res.status !== 204)
      throw await target.client.error('PATCH', res, `uploading ${what} (bytes ${headers['content-range']})`);
    await res.body.dump();
    const next = header(res.headers, 'location');
    if (next) location = new URL(next, res.url);
    offset += chunk.length;
  };
  for await (const piece of body as AsyncIterable<Buffer>) {
    let rest = piece;
    while (pendingBytes + rest.length >= chunkSize) {
      const take = chunkSize - pendingBytes;
      pending.push(rest.subarray(0, take));
      rest = rest.subarray(take);
      await send(Buffer.concat(pending));
      pending = [];
      pendingBytes = 0;
    }
    if (rest.length > 0) {
      pending.push(rest);
      pendingBytes += rest.length;
    }
  }
  if (pendingBytes > 0) await send(Buffer.concat(pending));
  return location;
}

/** Tries a cross-repository mount; true when the registry mounted the blob. */
export async function mountBlob(
  target: UploadTarget,
  digest: string,
  fromRepository: string,
): Promise<boolean> {
  const query = `?mount=${encodeURIComponent(digest)}&from=${encodeURIComponent(fromRepository)}`;
  const { status, location } = await startUpload(target, query);
  if (status === 201) return true;
  await cancelUpload(target, location);
  return false;
}
