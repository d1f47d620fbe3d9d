/**
 * Blob uploads (distribution-spec "Pushing blobs", end-4a/4b/5/6/11/13):
 *
 *   POST /v2/<name>/blobs/uploads/                → 202 + Location (an upload session)
 *   PUT  <Location>&digest=<digest>  (the blob)    → 201   digest and size known: monolithic
 *   PATCH <Location> (the stream, or chunks) → 202, then PUT <Location>&digest=<digest> → 201
 *
 * Distribution's Location already carries a query (`_state=`), so the digest is appended with `&`
 * (shared/lab/LAB.md §5). The digest may be learnt while streaming (a layer gzip'd on the way):
 * the final PUT is sent only after the stream ended and verified. An upload that fails is
 * cancelled (DELETE on the session's latest Location) so the registry can free it. Distribution
 * cannot cancel a session whose request body was cut off part-way, nor one whose monolithic PUT it
 * refused (DIGEST_INVALID): its `_state` no longer matches the bytes it holds, and the DELETE
 * answers 404 BLOB_UPLOAD_INVALID. Such a session is left to the registry's own purge of stale
 * uploads (test/commands/interrupt.test.ts and faults.test.ts show both sides).
 *
 * Cross-repository mount: POST ?mount=<digest>&from=<repo> → 201 when mounted; a 202 means the
 * registry opened a normal upload session instead (the source repository lacks the blob), which
 * is then cancelled so the caller can upload normally.
 */
import type { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { VerifyingStream } from '../digest/index.js';
import { DigestMismatchError, InvalidContentError } from '../errors.js';
import { type HttpResponse, header } from '../http/types.js';
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

/** The upload session's latest URL: each answer's Location supersedes the last (see cancelUpload). */
interface Session {
  location: URL;
  /** OCI-Chunk-Min-Length from the POST's answer: chunked uploads send at least this much per PATCH. */
  minChunk: number;
}

/** `data` as given, or opened now (a source's stream, opened while the upload session starts). */
type BlobData = Readable | (() => Promise<Readable>);

/**
 * Opens the upload session (POST) and the data at the same time: the source's first answer and
 * the registry's session cost one round trip between them, not two. Either failing undoes the
 * other (the stream destroyed, the session cancelled).
 */
async function startWithData(
  target: UploadTarget,
  data: BlobData,
): Promise<{ session: Session; data: Readable }> {
  const sessionOf = ({ location, minChunk }: { location: URL; minChunk: number }): Session => ({
    location,
    minChunk,
  });
  if (typeof data !== 'function') return { session: sessionOf(await startUpload(target)), data };
  const [started, opened] = await Promise.allSettled([startUpload(target), data()]);
  if (started.status === 'fulfilled' && opened.status === 'fulfilled')
    return { session: sessionOf(started.value), data: opened.value };
  if (opened.status === 'fulfilled') opened.value.destroy();
  if (started.status === 'fulfilled') await cancelUpload(target, started.value.location);
  throw started.status === 'rejected' ? started.reason : (opened as PromiseRejectedResult).reason;
}

/**
 * Uploads `data` as one blob and returns its digest and size; `expected.digest` is checked as it
 * flows when known, else computed. `verified`: `data` already fails at its end unless it matches
 * `expected.digest` (a store's blob stream, store.ts), so it is counted, not hashed a second time.
 *
 * With digest and size known up front the blob goes in one PUT (POST, then PUT with the body: the
 * monolithic upload of distribution-spec "Pushing a blob monolithically", what oras-go sends), one
 * round trip fewer than POST, PATCH, PUT. The registry hashes what it received and refuses a PUT
 * whose bytes do not match the digest named, so nothing unverified is committed even though the
 * PUT is sent before the stream's own verdict. Otherwise (digest learnt while streaming, or
 * --chunk-size) the bytes go in PATCHes and an empty PUT names the digest once it is known.
 */
export async function uploadBlob(
  target: UploadTarget,
  data: BlobData,
  expected: { digest?: string; size?: number; verified?: boolean },
): Promise<{ digest: string; size: number }> {
  const { client, repository } = target;
  const what = `blob ${expected.digest ?? '(streamed)'} for ${client.registry}/${repository}`;
  const started = await startWithData(target, data);
  const { session } = started;
  const source = started.data;
  try {
    const verify = new VerifyingStream({
      digest: expected.digest,
      size: expected.size,
      what,
      hash: expected.verified !== true,
    });
    const body = chain(source, verify);
    if (expected.digest !== undefined && expected.size !== undefined && !target.chunkSize) {
      await putBlobBody(target, session, body, expected.digest, expected.size, what);
      await finished(body, { writable: false });
      return { digest: expected.digest, size: verify.bytes };
    }
    if (target.chunkSize)
      await patchChunks(target, session, body, Math.max(target.chunkSize, session.minChunk), what);
    else await patchWhole(target, session, body, expected.size, what);
    // The registry may answer the PATCH as soon as the last byte arrived, before the data stream
    // has ended and given its verdict (the digest check is at its end): wait for it. A stream that
    // failed (digest mismatch, source error) must not be committed, whatever the registry said.
    await finished(body, { writable: false });
    const digest = verify.digest;
    if (!digest) throw new InvalidContentError(`${what}: the upload ended before the data did`);
    await putBlobBody(target, session, undefined, digest, 0, what);
    return { digest, size: verify.bytes };
  } catch (err) {
    source.destroy();
    await cancelUpload(target, session.location);
    throw err;
  }
}

/**
 * The closing PUT `<Location>&digest=<digest>` (Distribution's Location already carries a query,
 * shared/lab/LAB.md §5), with the blob's bytes (monolithic) or without (after PATCHes). Sent with
 * `retry: false`: the whole upload is what retries (copy/), with a fresh session.
 */
async function putBlobBody(
  target: UploadTarget,
  session: Session,
  body: Readable | undefined,
  digest: string,
  size: number,
  what: string,
): Promise<void> {
  const put = new URL(session.location);
  put.searchParams.set('digest', digest);
  const headers: Record<string, string> = { 'content-length': String(size) };
  if (body) headers['content-type'] = 'application/octet-stream';
  const done = await target.client.request({
    method: 'PUT',
    path: put,
    scopes: target.scopes,
    headers,
    body,
    retry: false,
  });
  if (body?.errored) {
    await done.body.dump();
    throw body.errored;
  }
  if (done.status !== 201 && done.status !== 204) {
    const err = await target.client.error('PUT', done, `completing ${what}`);
    // The registry hashes what it received (Distribution's blobWriter.Commit) and refuses a
    // mismatch with 400 DIGEST_INVALID: the bytes changed between ferry's check and its disk.
    if (done.status === 400 && err.hasCode('DIGEST_INVALID'))
      throw new DigestMismatchError(`${what} (upload)`, digest, undefined, { cause: err });
    throw err;
  }
  await done.body.dump();
}

/** One streamed PATCH with the whole blob (what skopeo and crane send). Returns the next Location. */
async function patchWhole(
  target: UploadTarget,
  session: Session,
  body: Readable,
  size: number | undefined,
  what: string,
): Promise<void> {
  const headers: Record<string, string> = { 'content-type': 'application/octet-stream' };
  if (size !== undefined) headers['content-length'] = String(size);
  const res = await target.client.request({
    method: 'PATCH',
    path: session.location,
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
  advance(session, res);
}

/**
 * Takes the Location an answer gives as the session's URL. Distribution signs the bytes received
 * so far into it (`_state`): a DELETE or PUT with an older one is refused as BLOB_UPLOAD_INVALID,
 * which is how a cancel with the POST's URL after a PATCH used to leave the session behind.
 */
function advance(session: Session, res: { headers: HttpResponse['headers']; url: URL }): void {
  const next = header(res.headers, 'location');
  if (next) session.location = new URL(next, res.url);
}

/**
 * PATCHes of `chunkSize` bytes with Content-Range (distribution-spec "Pushing a blob in chunks").
 * Each chunk is held in memory while it is sent, so memory is bounded by the chunk size.
 */
async function patchChunks(
  target: UploadTarget,
  session: Session,
  body: Readable,
  chunkSize: number,
  what: string,
): Promise<void> {
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
      path: session.location,
      scopes: target.scopes,
      headers,
      body: chunk,
    });
    if (res.status !== 202 && res.status !== 204)
      throw await target.client.error('PATCH', res, `uploading ${what} (bytes ${headers['content-range']})`);
    await res.body.dump();
    advance(session, res);
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
