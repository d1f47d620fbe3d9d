/**
 * The bottom of the HTTP stack behind a proxy: undici's `request()` over one keep-alive dispatcher
 * per TLS policy, with HTTP(S)_PROXY/NO_PROXY support (node-transport.ts serves every request
 * that goes through no proxy; transport-options.ts says why). Not `fetch`: fetch decodes
 * Content-Encoding, which changes the bytes and breaks digests (shared/design/node.md §1.3).
 * Loopback hosts are reached directly even with a proxy set (transport-options.ts proxyFor).
 *
 * TLS is decided per host (TransportOptions.tlsFor): `--insecure HOST` turns verification off for
 * that host only (a global switch broke insecure→secure copies for crane users,
 * go-containerregistry#738), CA certificates add to Node's roots rather than replacing them, and
 * a client certificate goes only to the host it is configured for.
 */
import { Agent, buildConnector, type Dispatcher, EnvHttpProxyAgent, request } from 'undici';
import { isTlsAlert, transportError } from './errors.js';
import {
  DEFAULT_TLS as PLAIN,
  proxyFor,
  proxySettings,
  requestSignal,
  type TlsSettings,
  type Transport,
  type TransportOptions,
  tlsConnectOptions,
} from './transport-options.js';
import type { HttpRequest, HttpResponse, ResponseBody, Send } from './types.js';

export function createTransport(options: TransportOptions): Transport {
  const idle = options.idleTimeoutMs ?? 120_000;
  const proxy = proxySettings(options.env);
  const dispatchers = new Map<string, Dispatcher>();
  /**
   * The last TLS alert a server sent on a connection, by host name. With TLS 1.3 a server checks
   * the client certificate after the client's handshake is done, so its alert (bad_certificate,
   * certificate_required) arrives as an error on the socket while undici reports only "other side
   * closed"; the connector below keeps the alert so the failure can say what the server said.
   */
  const alerts = new Map<string, Error>();

  const connectorFor = (tls: TlsSettings): buildConnector.connector => {
    const connector = buildConnector({ ...tlsConnectOptions(tls), timeout: 15_000 });
    return (opts, callback) =>
      connector(opts, (...args) => {
        args[1]?.on('error', (e: Error) => {
          if (isTlsAlert(e)) alerts.set(opts.hostname, e);
        });
        callback(...args);
      });
  };

  // One dispatcher per TLS settings, and per route: through the proxy, or direct (loopback).
  const dispatcherFor = (tls: TlsSettings, proxied: boolean): Dispatcher => {
    const key = `${tls.id}-${proxied}`;
    let d = dispatchers.get(key);
    if (!d) {
      const base = {
        connections: options.connections ?? 16,
        keepAliveTimeout: 10_000,
        headersTimeout: idle,
        bodyTimeout: idle,
      };
      // Behind a proxy the registry's TLS settings travel as requestTls (undici's ProxyAgent ignores `connect`).
      d =
        proxy && proxied
          ? new EnvHttpProxyAgent({
              ...base,
              ...proxy,
              connect: { timeout: 15_000 },
              requestTls: tlsConnectOptions(tls),
            })
          : new Agent({ ...base, connect: connectorFor(tls) });
      dispatchers.set(key, d);
    }
    return d;
  };

  const send: Send = async (req: HttpRequest): Promise<HttpResponse> => {
    const viaProxy = proxyFor(req.url, proxy);
    const tls = req.url.protocol === 'https:' ? options.tlsFor(req.url.host) : PLAIN;
    try {
      const res = await request(req.url, {
        method: req.method,
        headers: req.headers ?? {},
        body: req.body ?? null,
        signal: requestSignal(req, options.interrupt),
        dispatcher: dispatcherFor(tls, viaProxy !== undefined),
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
      const alert = tls === PLAIN ? undefined : alerts.get(req.url.hostname);
      const closed = (err as { code?: unknown }).code === 'UND_ERR_SOCKET';
      throw transportError(closed && alert ? alert : err, req.url, { proxy: viaProxy, tls });
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
