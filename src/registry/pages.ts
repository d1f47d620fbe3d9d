/**
 * Link-header pagination shared by the catalog and tag lists (distribution-spec "Listing Tags";
 * distribution docs api.md "Catalog"). Pages are followed until no rel="next" remains; the next
 * URL must stay on the registry (RegistryClient.request refuses another origin) and must not
 * repeat, so a looping registry cannot keep ferry busy forever.
 */
import { InvalidContentError } from '../errors.js';
import { readBody } from '../http/body.js';
import type { HttpResponse } from '../http/types.js';
import type { RegistryClient } from './client.js';
import { nextPageUrl } from './link-header.js';

/** ECR rejects n > 1000 (go-containerregistry#681); Distribution caps n at 1000 too. */
export const MAX_PAGE_SIZE = 1000;
const MAX_PAGES = 10_000;
const PAGE_BYTES = 16 * 1024 * 1024;

export interface PageOptions {
  /** Fetch one page of at most this many entries (by hand); otherwise follow every page. */
  limit?: number | undefined;
  /** Start after this entry (lexical order, as the registry pages). */
  last?: string | undefined;
}

export interface PageResult {
  items: string[];
  /** With `limit`: the `last` value that fetches the next page, when the registry says there is one. */
  next?: string | undefined;
}

/**
 * `limit`/`last` applied to a whole list in hand, in lexical order as a registry pages: for
 * registries that ignore `n` and `last` (Distribution 2.8 on tags/list) and for the tags of a
 * layout or an archive, so `--limit`/`--last` mean the same everywhere.
 */
export function pageOf(items: readonly string[], options: PageOptions, next?: string): PageResult {
  const last = options.last;
  const after = last === undefined ? [...items] : items.filter((t) => t > last);
  if (options.limit === undefined || after.length <= options.limit) return { items: after, next };
  const page = after.sort().slice(0, options.limit);
  return { items: page, next: page.at(-1) };
}

/**
 * Counts the pages of one listing as their URLs come: refuses a URL already followed, or one
 * page too many, so a registry whose Link headers loop cannot keep ferry busy forever. Returns
 * the page's number (1 for the first).
 */
export function pageGuard(what: string, maxPages = MAX_PAGES): (url: URL) => number {
  const seen = new Set<string>();
  return (url) => {
    if (seen.has(url.href) || seen.size >= maxPages)
      throw new InvalidContentError(`${what}: the registry's pagination loops`);
    seen.add(url.href);
    return seen.size;
  };
}

export async function fetchPages(
  client: RegistryClient,
  path: string,
  field: 'repositories' | 'tags',
  scopes: readonly string[],
  what: string,
  options: PageOptions,
  onError?: (res: HttpResponse, err: Error) => Error,
): Promise<PageResult> {
  const first = new URL(path, await client.baseUrl());
  first.searchParams.set('n', String(Math.min(options.limit ?? MAX_PAGE_SIZE, MAX_PAGE_SIZE)));
  if (options.last !== undefined) first.searchParams.set('last', options.last);

  const items: string[] = [];
  const guard = pageGuard(what);
  let url: URL | undefined = first;
  while (url) {
    guard(url);
    const req = { method: 'GET' as const, path: url, scopes, retry: false };
    // The request and its body read retry together (a page lost mid-body is asked for again).
    const { res, bytes } = await client.retrier.run(what, async () => {
      const res = await client.request(req);
      if (res.status !== 200) {
        const err = await client.error(req.method, res, what);
        throw onError ? onError(res, err) : err;
      }
      return { res, bytes: await readBody(res, PAGE_BYTES, what) };
    });
    const page = parsePage(bytes, field, what);
    items.push(...page);
    const next = nextPageUrl(res.headers['link'], url);
    if (options.limit !== undefined) {
      return { items, next: next ? (next.searchParams.get('last') ?? page.at(-1)) : undefined };
    }
    url = next;
  }
  return { items };
}

function parsePage(bytes: Buffer, field: string, what: string): string[] {
  let doc: unknown;
  try {
    doc = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new InvalidContentError(`${what}: the registry's answer is not JSON`);
  }
  const list = (doc as Record<string, unknown> | null)?.[field];
  // Some registries send null for an empty list.
  if (list === null || list === undefined) return [];
  if (!Array.isArray(list) || !list.every((x) => typeof x === 'string')) {
    throw new InvalidContentError(`${what}: "${field}" is not a list of strings`);
  }
  return list;
}
