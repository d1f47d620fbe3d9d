import type { Middleware } from './types.js';

/** Names ferry in every request, so registry operators can tell its traffic apart. */
export function userAgentMiddleware(userAgent: string): Middleware {
  return (next) => (req) => next({ ...req, headers: { 'user-agent': userAgent, ...req.headers } });
}
