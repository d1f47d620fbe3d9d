/**
 * Docker Hub's pull limit, as its response headers state it (docs.docker.com "Docker Hub usage
 * and limits"; the format is draft-ietf-httpapi-ratelimit-headers):
 *
 *   RateLimit-Limit: 100;w=21600         pulls allowed per window of w seconds
 *   RateLimit-Remaining: 76;w=21600      pulls left in the current window
 *   RateLimit-Reset: 3600                (some registries) seconds until the window resets
 *   Docker-RateLimit-Source: 203.0.113.7 what the limit is counted against: an IP or a user ID
 *
 * Asked with a HEAD of the manifest: Hub counts GETs of manifests as pulls, not HEADs, which is
 * why regctl's `image ratelimit` uses HEAD too. Older drafts list several policies
 * (`100, 100;w=21600`): the first number is the quota, the first `w=` the window.
 */
import { repositoryScope } from '../auth/scope.js';
import { NotFoundError } from '../errors.js';
import { type Headers, header } from '../http/types.js';
import { MANIFEST_ACCEPT } from '../image/media-types.js';
import { formatReference, type Reference } from '../ref/index.js';
import type { RegistryClient } from './client.js';
import { referenceId } from './resolve.js';

export interface RateLimit {
  limit: number | null;
  remaining: number | null;
  windowSeconds: number | null;
  /** Seconds until the window resets, when the registry says. */
  resetSeconds: number | null;
  source: string | null;
}

export interface RateLimitAnswer extends RateLimit {
  /** Whether any rate-limit header came at all. */
  present: boolean;
  /** Headers that came but could not be read (named, for a warning). */
  malformed: string[];
}

const COUNT = /^\s*(\d+)\s*(?:[;,]|$)/;
const WINDOW = /;\s*w\s*=\s*(\d+)/i;

function count(value: string | undefined): number | null {
  const m = value === undefined ? null : COUNT.exec(value);
  return m ? Number(m[1]) : null;
}

function window(...values: (string | undefined)[]): number | null {
  for (const value of values) {
    const m = value === undefined ? null : WINDOW.exec(value);
    if (m) return Number(m[1]);
  }
  return null;
}

/** Reads the rate-limit headers of one answer; absent headers are null. */
export function parseRateLimit(headers: Headers): RateLimitAnswer {
  const raw = {
    'ratelimit-limit': header(headers, 'ratelimit-limit'),
    'ratelimit-remaining': header(headers, 'ratelimit-remaining'),
    'ratelimit-reset': header(headers, 'ratelimit-reset'),
  };
  const source = header(headers, 'docker-ratelimit-source')?.trim() || null;
  const result: RateLimitAnswer = {
    limit: count(raw['ratelimit-limit']),
    remaining: count(raw['ratelimit-remaining']),
    windowSeconds: window(raw['ratelimit-limit'], raw['ratelimit-remaining']),
    resetSeconds: count(raw['ratelimit-reset']),
    source,
    present: source !== null || Object.values(raw).some((v) => v !== undefined),
    malformed: [],
  };
  if (raw['ratelimit-limit'] !== undefined && result.limit === null) result.malformed.push('RateLimit-Limit');
  if (raw['ratelimit-remaining'] !== undefined && result.remaining === null)
    result.malformed.push('RateLimit-Remaining');
  if (raw['ratelimit-reset'] !== undefined && result.resetSeconds === null)
    result.malformed.push('RateLimit-Reset');
  return result;
}

/** HEAD the manifest (not counted as a pull) and read the limit from the answer's headers. */
export async function getRateLimit(client: RegistryClient, ref: Reference): Promise<RateLimitAnswer> {
  const req = {
    method: 'HEAD' as const,
    path: `/v2/${ref.repository}/manifests/${referenceId(ref)}`,
    headers: { accept: MANIFEST_ACCEPT.join(', ') },
    scopes: [repositoryScope(ref.repository, ['pull'])],
  };
  const res = await client.request(req);
  await res.body.dump();
  if (res.status === 404) throw new NotFoundError(`manifest ${formatReference(ref)} not found`);
  // A 429 that outlasted the retries carries the headers too (Remaining 0): that is the answer.
  if (res.status !== 200 && res.status !== 429)
    throw await client.error(req.method, res, `manifest ${formatReference(ref)}`);
  return parseRateLimit(res.headers);
}
