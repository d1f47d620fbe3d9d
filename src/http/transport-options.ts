/**
 * What both transports share: their options, the per-host TLS settings, the proxy settings from
 * the environment, and the signal that ends a request on Ctrl-C.
 *
 * Two transports, one Send. Every command runs over node:http(s) (node-transport.ts): it is in the
 * runtime already, where loading undici costs ~40-70 ms at every start (shared/design/node.md
 * §2.1), and it keeps a connection alive after a HEAD, where undici closes it after every HEAD
 * (nodejs/undici#258, kept for servers that send a body on HEAD): a copy HEADs every blob, and a
 * new connection per HEAD cost 54 connections for a 40-blob copy and a round trip each on a slow
 * link. A request that goes through a proxy (proxyFor) uses undici (transport.ts), whose
 * EnvHttpProxyAgent reads HTTP(S)_PROXY/NO_PROXY where Node 20's http client does not; loopback
 * registries are never proxied, so they keep node:http.
 */
import { isLoopbackHost } from '../ref/index.js';
import type { HttpRequest, Send } from './types.js';

/**
 * How to speak TLS to one host:port, decided per host (settings/ resolves flags, the settings
 * file and certs.d into this): one `--insecure` registry or one client certificate must never
 * apply to a copy's other side, a token server or a storage host a download is redirected to.
 */
export interface TlsSettings {
  /** Equal settings share a connection pool; different ones never do. */
  id: string;
  /** Skip certificate verification (--insecure HOST, `insecure: true` in the settings file). */
  insecure: boolean;
  /** CA certificates to trust (PEM): Node's roots plus the extra ones; undefined: Node's roots. */
  ca?: string[] | undefined;
  /** A client certificate and key (PEM) for mutual TLS, and where they came from, for messages. */
  client?: { cert: string; key: string; source: string } | undefined;
}

export interface TransportOptions {
  env: NodeJS.ProcessEnv;
  /** The TLS settings for an https: URL's host:port (as URL.host spells it). */
  tlsFor: (hostPort: string) => TlsSettings;
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

export function proxySettings(
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

export type ProxySettings = NonNullable<ReturnType<typeof proxySettings>>;

/**
 * The proxy a request to `url` goes through, before NO_PROXY (which undici's EnvHttpProxyAgent
 * applies): HTTPS_PROXY for https:, HTTP_PROXY for http:, and never one for a loopback host
 * (localhost, *.localhost, 127.0.0.0/8, ::1), as Go's net/http ProxyFromEnvironment does: a registry on
 * localhost:5000 behind a corporate proxy must not be sent to the proxy, which cannot reach it.
 */
export function proxyFor(url: URL, proxy: ProxySettings | undefined): URL | undefined {
  // `*.localhost` too (RFC 6761 §6.3): sending it to a proxy could only fail.
  if (!proxy || isLoopbackHost(url.host) || url.hostname.toLowerCase().endsWith('.localhost'))
    return undefined;
  const chosen = url.protocol === 'https:' ? proxy.httpsProxy : proxy.httpProxy;
  if (!chosen) return undefined;
  try {
    return new URL(chosen);
  } catch {
    return undefined;
  }
}

export function requestSignal(req: HttpRequest, interrupt: AbortSignal | undefined): AbortSignal | undefined {
  if (!interrupt || req.detached) return req.signal;
  return req.signal ? AbortSignal.any([req.signal, interrupt]) : interrupt;
}

/** The TLS options both transports hand to Node's tls.connect for these settings. */
export function tlsConnectOptions(tls: TlsSettings): {
  ca?: string[];
  rejectUnauthorized?: boolean;
  cert?: string;
  key?: string;
} {
  return {
    ...(tls.ca ? { ca: tls.ca } : {}),
    ...(tls.insecure ? { rejectUnauthorized: false } : {}),
    ...(tls.client ? { cert: tls.client.cert, key: tls.client.key } : {}),
  };
}

/** Settings with Node's defaults: verified against Node's roots, no client certificate. */
export const DEFAULT_TLS: TlsSettings = Object.freeze({ id: 'default', insecure: false });
