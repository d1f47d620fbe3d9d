/**
 * The --debug trace: one line per request and per response on stderr, with every secret
 * redacted (Authorization, cookies, tokens in URLs). Bodies are never logged: they can carry
 * tokens (token responses) or be gigabytes (blobs).
 */
import { redactHeaderValue, redactUrl } from './redact.js';
import type { Headers, Middleware } from './types.js';

function formatHeaders(headers: Headers | Record<string, string> | undefined): string {
  if (!headers) return '';
  return Object.entries(headers)
    .filter(([, v]) => v !== undefined)
    .map(
      ([k, v]) =>
        ` ${k}: ${(Array.isArray(v) ? v : [v as string]).map((x) => redactHeaderValue(k, x)).join(', ')}`,
    )
    .join('\n');
}

export function logMiddleware(log: (line: string) => void): Middleware {
  return (next) => async (req) => {
    const started = performance.now();
    log(`> ${req.method} ${redactUrl(req.url)}\n${formatHeaders(req.headers)}`.trimEnd());
    const res = await next(req);
    const ms = Math.round(performance.now() - started);
    log(
      `< ${res.status} ${req.method} ${redactUrl(req.url)} (${ms} ms)\n${formatHeaders(res.headers)}`.trimEnd(),
    );
    return res;
  };
}
