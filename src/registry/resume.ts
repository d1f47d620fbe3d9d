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
  return new ResumingBody(get, first);
}

/**
 * Pushes each answer's chunks as they arrive ('data' events, paused when the reader is full),
 * not through an async iterator: a 1 GiB layer is some 16,000 chunks, and an iterator spends
 * promises and microtasks on every one of them (bench/PROFILE.md).
 */
class ResumingBody extends Readable {
  private received = 0;
  /** Failures in a row without a byte of progress. */
  private stalled = 0;
  private current: HttpResponse | undefined;

  constructor(
    private readonly get: ResumableGet,
    first: HttpResponse,
  ) {
    super({ highWaterMark: 256 * 1024 });
    this.follow(first);
  }

  override _read(): void {
    const body = this.current?.body as Readable | undefined;
    if (body?.isPaused()) body.resume();
  }

  override _destroy(err: Error | null, done: (err?: Error | null) => void): void {
    // Frees the answer's socket when the reader stops early (or the stream was never read).
    this.release()?.destroy();
    done(err);
  }

  /** Stops listening to the current answer and hands it back. */
  private release(): Readable | undefined {
    const body = this.current?.body as Readable | undefined;
    this.current = undefined;
    body?.removeAllListeners('data').removeAllListeners('end');
    return body;
  }

  private follow(res: HttpResponse): void {
    this.current = res;
    const body = res.body as Readable;
    const before = this.received;
    // Bytes of a 200 answer to a Range request that this stream already delivered.
    let skip = res.status === 200 ? this.received : 0;
    body.on('data', (chunk: Buffer) => {
      let piece = chunk;
      if (skip > 0) {
        const n = Math.min(skip, piece.length);
        skip -= n;
        piece = piece.subarray(n);
        if (piece.length === 0) return;
      }
      this.received += piece.length;
      if (!this.push(piece)) body.pause();
    });
    body.once('end', () => {
      this.release();
      // A body that ends early without an error (a proxy that closes a chunked answer) is a
      // broken transfer too; one that runs long is left to the digest check downstream.
      if (this.received >= this.get.size) this.push(null);
      else
        void this.reconnect(
          new NetworkError(
            `${this.get.what}: the connection ended after ${this.received} of ${this.get.size} bytes`,
            { transient: true },
          ),
          before,
        );
    });
    // 'error' stays attached after release: a late one from an answer already left must not throw.
    body.once('error', (err) => {
      if (this.current !== res) return;
      // What arrived before the break and waits in the answer's buffer (it was paused, the reader
      // being full) is still good: take it ('data' fires for each read), so the Range starts
      // where the server's bytes stopped, not where the reader was.
      while (body.read() !== null);
      this.release()?.destroy();
      void this.reconnect(err instanceof FerryError ? err : transportError(err, res.url), before);
    });
  }

  /** After a broken answer: wait as the retry policy says, then GET the rest with Range. */
  private async reconnect(err: unknown, before: number): Promise<void> {
    const { client, what } = this.get;
    for (;;) {
      if (this.destroyed) return;
      const verdict = transientFailure(err);
      this.stalled = this.received > before ? 1 : this.stalled + 1;
      if (!verdict || this.stalled > client.retrier.retries) {
        const failure = giveUp(err, this.stalled - 1);
        this.destroy(failure instanceof Error ? failure : new Error(String(failure)));
        return;
      }
      try {
        await client.retrier.wait(what, this.stalled, verdict.reason, verdict.retryAfterMs);
        before = this.received;
        const res = await send(this.get, this.received);
        if (this.destroyed) {
          (res.body as Readable).destroy();
          return;
        }
        this.follow(res);
        return;
      } catch (next) {
        err = next;
      }
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
