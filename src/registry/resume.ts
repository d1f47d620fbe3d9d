/**
 * A blob download that survives a lost connection: when the body breaks off (a reset, an idle
 * timeout, a body that ends short of the descriptor's size), the GET is sent again with
 * `Range: bytes=<received>-` and the stream carries on from there. Registries serve blob GETs
 * with Range (Distribution answers 206 with Content-Range, shared/lab/LAB.md §5; so do the
 * object stores it redirects to); a server that ignores Range and answers 200 is read past the
 * bytes already delivered.
 *
 * The caller's digest check still sees every byte once, in order, so it covers the whole blob
 * however many pieces it came in. Each request here is sent with `retry: false`: this loop is
 * the one level that retries (http/retry.ts). A retry that brought new bytes resets the count,
 * so a 10 GiB layer on a flaky link finishes as long as it keeps moving; `retries` failures in a
 * row without a byte of progress end it.
 */
import { Readable } from 'node:stream';
import { FerryError, InvalidContentError, NetworkError, NotFoundError } from '../errors.js';
import { transportError } from '../http/errors.js';
import { giveUp, transientFailure } from '../http/retry.js';
import { type HttpResponse, header } from '../http/types.js';
import type { ApiRequest, RegistryClient } from './client.js';

export interface ResumableGet {
  client: RegistryClient;
  /** The GET to send (its headers gain Range on a resume). */
  request: ApiRequest;
  /** Bytes the full body has (the descriptor's size). */
  size: number;
  /** For messages: "blob sha256:… of host/repo". */
  what: string;
}

/**
 * The body as a stream; resumes are invisible to the reader except as a pause. Resolves once the
 * first answer is in, so a missing blob or a refusal fails here, before the caller opens
 * anything (an upload session) for it.
 */
export async function resumableBody(get: ResumableGet): Promise<Readable> {
  const first = await get.client.retrier.run(get.what, () => send(get, 0));
  const stream = Readable.from(chunks(get, first), { objectMode: false, highWaterMark: 256 * 1024 });
  // A stream destroyed before it was read never runs the generator: free the first answer's socket.
  stream.once('close', () => first.body.destroy());
  return stream;
}

async function* chunks(get: ResumableGet, first: HttpResponse): AsyncGenerator<Buffer> {
  const { client, size, what } = get;
  let received = 0;
  let stalled = 0;
  let pending: HttpResponse | undefined = first;
  for (;;) {
    const before = received;
    try {
      const res = pending ?? (await send(get, received));
      pending = undefined;
      // Bytes of a 200 answer to a Range request that this stream already delivered.
      let skip = res.status === 200 ? received : 0;
      try {
        for await (const chunk of res.body as AsyncIterable<Buffer>) {
          let piece = chunk;
          if (skip > 0) {
            const n = Math.min(skip, piece.length);
            skip -= n;
            piece = piece.subarray(n);
            if (piece.length === 0) continue;
          }
          received += piece.length;
          yield piece;
        }
      } catch (err) {
        throw err instanceof FerryError ? err : transportError(err, res.url);
      }
      // A body that ends early without an error (a proxy that closes a chunked answer) is a
      // broken transfer too; one that runs long is left to the digest check downstream.
      if (received >= size) return;
      throw new NetworkError(`${what}: the connection ended after ${received} of ${size} bytes`, {
        transient: true,
      });
    } catch (err) {
      const verdict = transientFailure(err);
      stalled = received > before ? 1 : stalled + 1;
      if (!verdict || stalled > client.retrier.retries) throw giveUp(err, stalled - 1);
      await client.retrier.wait(what, stalled, verdict.reason, verdict.retryAfterMs);
    }
  }
}

/** One GET, from byte `offset` on; answers 200 or a 206 that starts exactly at `offset`. */
async function send(get: ResumableGet, offset: number): Promise<HttpResponse> {
  const { client, request, what, size } = get;
  const headers = offset > 0 ? { ...request.headers, range: `bytes=${offset}-` } : request.headers;
  const res = await client.request({ ...request, ...(headers ? { headers } : {}), retry: false });
  if (res.status === 200) return res;
  if (res.status === 206 && offset > 0) {
    const range = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(header(res.headers, 'content-range') ?? '');
    if (range && Number(range[1]) === offset) return res;
    await res.body.dump();
    throw new InvalidContentError(
      `${what}: asked for bytes ${offset}-${size - 1}, the server sent ${header(res.headers, 'content-range') ?? 'no Content-Range'}`,
    );
  }
  const err = await client.error(request.method, res, what);
  throw res.status === 404 ? new NotFoundError(`${what} not found`, { cause: err }) : err;
}
