/**
 * What both transports share: their options, the CA list, the proxy settings from the
 * environment, and the signal that ends a request on Ctrl-C.
 *
 * Two transports, one Send. Every command runs over node:http(s) (node-transport.ts): it is in the
 * runtime already, where loading undici costs ~40-70 ms at every start (shared/design/node.md
 * §2.1), and it keeps a connection alive after a HEAD, where undici closes it after every HEAD
 * (nodejs/undici#258, kept for servers that send a body on HEAD): a copy HEADs every blob, and a
 * new connection per HEAD cost 54 connections for a 40-blob copy and a round trip each on a slow
 * link. Behind a proxy ferry uses undici (transport.ts), whose EnvHttpProxyAgent reads
 * HTTP(S)_PROXY/NO_PROXY; Node 20's http client does not.
 */
import { readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';
import { LocalError } from '../errors.js';
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
