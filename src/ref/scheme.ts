/**
 * HTTPS or HTTP, and TLS verification, decided per registry. Never global: one `--insecure` registry
 * must not weaken a copy's other side (go-containerregistry#738).
 */
import { normalizeRegistry, splitHostPort } from './normalize.js';

export type Scheme = 'https' | 'http';

/** Registry names the user gave with --plain-http and --insecure (host or host:port). */
export interface SchemeOptions {
  plainHttp: readonly string[];
  insecure: readonly string[];
}

/**
 * True for `localhost`, IPv4 127.0.0.0/8 and IPv6 ::1 in any spelling, with or without a port:
 * the names that reach this machine whatever the resolver says. Private ranges (10/8, 192.168/16)
 * are not loopback: traffic to them crosses a network, so they never fall back to HTTP on their own.
 * Nor is `*.localhost`: RFC 6761 §6.3 reserves it for loopback, but glibc without nss-myhostname
 * asks DNS for it, and a spoofed answer would get plain HTTP and credentials (go-containerregistry
 * draws the same line). Only the proxy rule, where a wrong guess costs nothing, counts it in.
 */
export function isLoopbackHost(registry: string): boolean {
  const { host } = splitHostPort(registry.toLowerCase());
  if (host === 'localhost') return true;
  if (host.startsWith('[')) {
    try {
      // The WHATWG URL parser canonicalizes IPv6 (`[0:0::1]` → `[::1]`).
      return new URL(`http://${host}/`).hostname === '[::1]';
    } catch {
      return false;
    }
  }
  const octets = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
  return octets !== null && octets[1] === '127' && octets.slice(2).every((o) => Number(o) <= 255);
}

/**
 * Whether `registry` is named in `list`. An entry with a port matches only that host:port; an entry
 * without one matches the host on any port. Both sides are compared normalized (case, Docker Hub aliases).
 */
export function registryListed(registry: string, list: readonly string[]): boolean {
  const target = normalizeRegistry(registry);
  const targetHost = splitHostPort(target).host;
  return list.some((entry) => {
    const wanted = normalizeRegistry(entry.endsWith('/') ? entry.slice(0, -1) : entry);
    if (wanted === target) return true;
    const parts = splitHostPort(wanted);
    return parts.port === undefined && parts.host === targetHost;
  });
}

/**
 * Schemes to try, in order. --plain-http means HTTP only. A loopback registry tries plain HTTP
 * first and HTTPS when the server turns out to speak TLS (the caller, registry/client.ts ping,
 * decides that): plain HTTP is allowed there anyway, local registries mostly speak it, and the
 * HTTPS attempt it used to start with cost a TLS handshake and, without NODE_EXTRA_CA_CERTS,
 * building Node's root store (~22 ms of a `digest`'s start, bench/PROFILE.md). Anything else is
 * HTTPS only.
 */
export function schemesToTry(registry: string, opts: SchemeOptions): Scheme[] {
  if (registryListed(registry, opts.plainHttp)) return ['http'];
  if (isLoopbackHost(registry)) return ['http', 'https'];
  return ['https'];
}

/** Skip TLS certificate verification for this registry (and only this one). */
export function isInsecure(registry: string, opts: SchemeOptions): boolean {
  return registryListed(registry, opts.insecure);
}
