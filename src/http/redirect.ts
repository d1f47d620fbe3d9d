/**
 * Follows redirects for GET and HEAD. Registries send blob downloads to object storage or a CDN
 * with a 307 and a signed URL; that host must not receive the registry's Authorization (S3
 * rejects a second auth mechanism, and it is a credential leak: features.md §3.15), so the header
 * is dropped whenever the origin changes and never put back.
 */
import type { HttpRequest, Middleware } from './types.js';

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const MAX_HOPS = 5;

export function redirectMiddleware(): Middleware {
  return (next) => async (first) => {
    let req: HttpRequest = first;
    for (let hop = 0; ; hop++) {
      const res = await next(req);
      const location = res.headers['location'];
      if (
        !REDIRECTS.has(res.status) ||
        (req.method !== 'GET' && req.method !== 'HEAD') ||
        typeof location !== 'string' ||
        hop >= MAX_HOPS
      ) {
        return res;
      }
      await res.body.dump();
      const url = new URL(location, req.url);
      const headers = { ...req.headers };
      if (url.origin !== req.url.origin) {
        delete headers['authorization'];
        delete headers['cookie'];
      }
      req = { ...req, url, headers };
    }
  };
}
