/**
 * The promise-shaped request/response pair every HTTP middleware speaks. Middlewares are
 * `(next) => send` wrappers; compose.ts writes down their order in one place.
 */
import type { Readable } from 'node:stream';

export type Method = 'GET' | 'HEAD' | 'PUT' | 'POST' | 'PATCH' | 'DELETE';

export interface HttpRequest {
  method: Method;
  url: URL;
  headers?: Record<string, string>;
  /** A Buffer or string can be replayed (after a 401, a redirect); a stream cannot. */
  body?: Buffer | string | Readable | undefined;
  /** Token scopes this request needs, e.g. ["repository:a/b:pull"]; the auth middleware asks for them. */
  scopes?: readonly string[];
  signal?: AbortSignal | undefined;
  /**
   * false: never retry this request at the transport level, because the operation around it
   * retries as a whole (http/retry.ts).
   */
  retry?: boolean | undefined;
  /**
   * true for a clean-up request (cancelling an upload session) that must still go out after the
   * user interrupted ferry; every other request is aborted by the interrupt.
   */
  detached?: boolean | undefined;
}

export type Headers = Record<string, string | string[] | undefined>;

/** The body as undici hands it out: a Readable with helpers. It must be consumed or dumped. */
export interface ResponseBody extends Readable {
  text(): Promise<string>;
  arrayBuffer(): Promise<ArrayBuffer>;
  dump(opts?: { limit?: number }): Promise<void>;
}

export interface HttpResponse {
  status: number;
  headers: Headers;
  body: ResponseBody;
  /** The URL that answered (after redirects). */
  url: URL;
  /** How many times the request was sent, when the transport retried it. */
  attempts?: number | undefined;
}

export type Send = (request: HttpRequest) => Promise<HttpResponse>;
export type Middleware = (next: Send) => Send;

export function header(headers: Headers, name: string): string | undefined {
  const value = headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

export function isReplayable(body: HttpRequest['body']): boolean {
  return body === undefined || typeof body === 'string' || Buffer.isBuffer(body);
}
