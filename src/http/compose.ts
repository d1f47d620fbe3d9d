/**
 * The one place the HTTP middleware order is written down. Outermost first:
 *
 *   user-agent → auth → retry → redirect → log → transport
 *
 * - auth sits outside redirect, so credentials are attached once to the registry's own URL and
 *   redirect strips them when a hop leaves that origin;
 * - retry sits inside auth, so a replay after a 401 is auth's business alone, and outside
 *   redirect, so a storage host that fails is retried from the registry (its signed URL may
 *   have expired);
 * - log sits just above the transport, so --debug shows every real request: each redirect hop,
 *   each replay after a 401, each token request;
 * - pings and token requests use the same stack without auth (a token request carries its own
 *   Basic header; a ping must see the registry's challenge).
 */
import { authMiddleware, type RegistryAuth } from './auth.js';
import { logMiddleware } from './log.js';
import { redirectMiddleware } from './redirect.js';
import { type Retrier, retryMiddleware } from './retry.js';
import type { Middleware, Send } from './types.js';
import { userAgentMiddleware } from './user-agent.js';

export function compose(send: Send, ...middlewares: Middleware[]): Send {
  return middlewares.reduceRight<Send>((next, middleware) => middleware(next), send);
}

export interface StackOptions {
  userAgent: string;
  /** The --debug trace sink; no logging when absent. */
  log?: ((line: string) => void) | undefined;
  auth?: RegistryAuth | undefined;
  /** Transport-level retries; none when absent. */
  retrier?: Retrier | undefined;
}

export function buildStack(transport: Send, options: StackOptions): Send {
  const middlewares: Middleware[] = [userAgentMiddleware(options.userAgent)];
  if (options.auth) middlewares.push(authMiddleware(options.auth));
  if (options.retrier) middlewares.push(retryMiddleware(options.retrier));
  middlewares.push(redirectMiddleware());
  if (options.log) middlewares.push(logMiddleware(options.log));
  return compose(transport, ...middlewares);
}
