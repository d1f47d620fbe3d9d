/**
 * The bottom of the HTTP stack: undici's `request()` over one keep-alive dispatcher per TLS
 * policy. Not `fetch`: fetch decodes Content-Encoding, which changes the bytes and breaks
 * digests (shared/design/node.md §1.3).
 *
 * TLS is decided per registry: `--insecure HOST` turns verification off for that host only
 * (a global switch broke insecure→secure copies for crane users, go-containerregistry#738),
 * and `--ca-file` adds to Node's roots rather than replacing them.
 */
import { readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';
import { Agent, type Dispatcher, EnvHttpProxyAgent, request } from 'undici';
import { LocalError } from '../errors.js';
import { transportError } from './errors.js';
import type { HttpRequest, HttpResponse, ResponseBody, Send } from './types.js';

export interface TransportOptions {
  env: NodeJS.ProcessEnv;
  caFile?: string | undefined;
  /** True for a host:port whose certificate must not be verified (--insecure HOST). */
  isInsecure: (hostPort: string) => boolean;
  /** Connections per origin; a registry copy rarely gains past a handful. */
  connections?: number;
  /** No bytes for this long (headers or body) fails the request: an idle, not a total, timeout. */
  idleTimeoutMs?: number;
  /** Aborted when the user interrupts ferry (Ctrl-C): every request but `detached` ones ends. */
  interrupt?: AbortSignal | undefined;
}

export interface Transport {
  send: Send;
  close(): Promise<void>;
}

function proxySettings(
  env: NodeJS.ProcessEnv,
): { httpProxy?: string; httpsProxy?: string; noProxy?: string } | undefined {
  const pick = (...names: string[]) => names.map((n) => env[n]).find((v) => v !== undefined && v !== '');
  const httpProxy = pick('http_proxy', 'HTTP_PROXY');
  const httpsProxy = pick('https_proxy', 'HTTPS_PROXY') ?? httpProxy;
  if (!httpProxy && !httpsProxy) return undefined;
  return {
    ...(httpProxy ? { httpProxy } : {}),
    ...(httpsProxy ? { httpsProxy } : {}),
    noProxy: pick('no_proxy', 'NO_PROXY') ?? '',
  };
}

function readCa(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new LocalError(`cannot read --ca-file ${file}: ${(err as Error).message}`);
  }
}

function requestSignal(req: HttpRequest, interrupt: AbortSignal | undefined): AbortSignal | undefined {
  if (!interrupt || req.detached) return req.signal;
  return req.signal ? AbortSignal.any([req.signal, interrupt]) : interrupt;
}

export function createTransport(options: TransportOptions): Transport {
  const idle = options.idleTimeoutMs ?? 120_000;
  const ca = options.caFile ? [...rootCertificates, readCa(options.caFile)] : undefined;
  const proxy = proxySettings(options.env);
  const proxyFor = (url: URL): URL | undefined => {
    const chosen = url.protocol === 'https:' ? proxy?.httpsProxy : proxy?.httpProxy;
    if (!chosen) return undefined;
    try {
      return new URL(chosen);
    } catch {
      return undefined;
    }
  };
  const dispatchers = new Map<boolean, Dispatcher>();

  const dispatcherFor = (insecure: boolean): Dispatcher => {
    let d = dispatchers.get(insecure);
    if (!d) {
      const tls = { ...(ca ? { ca } : {}), ...(insecure ? { rejectUnauthorized: false } : {}) };
      const base = {
        connections: options.connections ?? 16,
        keepAliveTimeout: 10_000,
        headersTimeout: idle,
        bodyTimeout: idle,
        connect: { ...tls, timeout: 15_000 },
      };
      // Behind a proxy the registry's TLS settings travel as requestTls (undici's ProxyAgent ignores `connect`).
      d = proxy ? new EnvHttpProxyAgent({ ...base, ...proxy, requestTls: tls }) : new Agent(base);
      dispatchers.set(insecure, d);
    }
    return d;
  };

  const send: Send = async (req: HttpRequest): Promise<HttpResponse> => {
    try {
      const res = await request(req.url, {
        method: req.method,
        headers: req.headers ?? {},
        body: req.body ?? null,
        signal: requestSignal(req, options.interrupt),
        dispatcher: dispatcherFor(options.isInsecure(req.url.host)),
      });
      return {
        status: res.statusCode,
        headers: res.headers,
        body: res.body as unknown as ResponseBody,
        url: req.url,
      };
    } catch (err) {
      throw transportError(err, req.url, proxyFor(req.url));
    }
  };

  return {
    send,
    async close() {
      // destroy, not close: when a command ends, anything still in flight (a download whose
      // consumer failed) is abandoned, and a graceful close would wait for it forever.
      await Promise.all([...dispatchers.values()].map((d) => d.destroy()));
    },
  };
}
