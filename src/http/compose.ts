/**
 * The one place the HTTP middleware order is written down. Outermost first:
 *
 *   user-agent → auth → retry → host gate → redirect → log → transport
 *
 * - auth sits outside redirect, so credentials are attached once to the registry's own URL and
 *   redirect strips them when a hop leaves that origin;
 * - retry sits inside auth, so a replay after a 401 is auth's business alone, and outside
 *   redirect, so a storage host that fails is retried from the registry (its signed URL may
 *   have expired);
 * - the host gate (host-gate.ts) sits inside retry, so each attempt waits for the host's slot,
 *   rate and cool-down, and outside redirect, so it governs the registry's host, not the storage
 *   host a blob GET is sent on to;
 * - log sits just above the transport, so --debug shows every real request: each redirect hop,
 *   each replay after a 401, each token request;
 * - pings and token requests use the same stack without auth (a token request carries its own
 *   Basic header; a ping must see the registry's challenge).
 */
import { authMiddleware, type RegistryAuth } from './auth.js';
import { type HostGates, hostGateMiddleware } from './host-gate.js';
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
  /** Per-host limits shared by every client of the run; none when absent. */
  gates?: HostGates | undefined;
}

export function buildStack(transport: Send, options: StackOptions): Send {
  const middlewares: Middleware[] = [userAgentMiddleware(options.userAgent)];
  if (options.auth) middlewares.push(authMiddleware(options.auth));
  if (options.retrier) middlewares.push(retryMiddleware(options.retrier));
  if (options.gates) middlewares.push(hostGateMiddleware(options.gates));
  middlewares.push(redirectMiddleware());
  if (options.log) middlewares.push(logMiddleware(options.log));
  return compose(transport, ...middlewares);
}
