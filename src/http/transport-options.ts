/**
 * What both transports share: their options, the CA list, the proxy settings from the
 * environment, and the signal that ends a request on Ctrl-C.
 *
 * Two transports, one Send: transfers (copy, pull, push, blob) run over undici's pooled agent
 * (transport.ts); the light commands (digest, exists, manifest, ls …) run over node:http(s)
 * (node-transport.ts), because loading undici costs ~40 ms at every start, more than the
 * whole of such a command's own work (shared/design/node.md §2.1). A request that goes through
 * a proxy (proxyFor) uses undici whatever the command, since Node 20's http client reads no
 * HTTP(S)_PROXY; loopback registries are never proxied, so they keep the light transport.
 */
import { readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';
import { LocalError } from '../errors.js';
import { isLoopbackHost } from '../ref/index.js';
import type { HttpRequest, Send } from './types.js';

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
 * (localhost, 127.0.0.0/8, ::1), as Go's net/http ProxyFromEnvironment does: a registry on
 * localhost:5000 behind a corporate proxy must not be sent to the proxy, which cannot reach it.
 */
export function proxyFor(url: URL, proxy: ProxySettings | undefined): URL | undefined {
  if (!proxy || isLoopbackHost(url.host)) return undefined;
  const chosen = url.protocol === 'https:' ? proxy.httpsProxy : proxy.httpProxy;
  if (!chosen) return undefined;
  try {
    return new URL(chosen);
  } catch {
    return undefined;
  }
}

function readCa(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new LocalError(`cannot read --ca-file ${file}: ${(err as Error).message}`);
  }
}

export function requestSignal(req: HttpRequest, interrupt: AbortSignal | undefined): AbortSignal | undefined {
  if (!interrupt || req.detached) return req.signal;
  return req.signal ? AbortSignal.any([req.signal, interrupt]) : interrupt;
}

/** Node's roots plus the --ca-file certificates; undefined (Node's defaults) without one. */
export function caCertificates(caFile: string | undefined): string[] | undefined {
  return caFile ? [...rootCertificates, readCa(caFile)] : undefined;
}
