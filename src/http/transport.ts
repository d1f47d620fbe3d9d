/**
 * The bottom of the HTTP stack for transfers: undici's `request()` over one keep-alive dispatcher
 * per TLS policy, with HTTP(S)_PROXY support (node-transport.ts serves the light commands). Not `fetch`: fetch decodes Content-Encoding, which changes the bytes and breaks
 * digests (shared/design/node.md §1.3).
 *
 * TLS is decided per registry: `--insecure HOST` turns verification off for that host only
 * (a global switch broke insecure→secure copies for crane users, go-containerregistry#738),
 * and `--ca-file` adds to Node's roots rather than replacing them.
 */
import { Agent, type Dispatcher, EnvHttpProxyAgent, request } from 'undici';
import { transportError } from './errors.js';
import {
  caCertificates,
  proxySettings,
  requestSignal,
  type Transport,
  type TransportOptions,
} from './transport-options.js';
import type { HttpRequest, HttpResponse, ResponseBody, Send } from './types.js';

export function createTransport(options: TransportOptions): Transport {
  const idle = options.idleTimeoutMs ?? 120_000;
  const ca = caCertificates(options.caFile);
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
        // undici closes the connection after every HEAD unless told (undici#258: servers that send
        // a body on HEAD); registries do not, and a mirror's checks are HEADs, one new connection each.
        ...(req.method === 'HEAD' ? { reset: false } : {}),
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
