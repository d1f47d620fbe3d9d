/**
 * `Link` header parsing (RFC 8288 §3), for the pagination of `/v2/_catalog` and tags/list:
 *
 *   Link       = #link-value
 *   link-value = "<" URI-Reference ">" *( OWS ";" OWS link-param )
 *   link-param = token BWS [ "=" BWS ( token / quoted-string ) ]
 *
 * Distribution sends `</v2/_catalog?last=lab%2Fimg&n=2>; rel="next"`: a relative target, resolved
 * against the request URL. The header comes from the server, so the parser never throws; a
 * malformed link-value is skipped up to the next comma.
 */
import { type HeaderReader, readHeaderValues } from '../util/header-reader.js';

export interface Link {
  /** The URI-Reference between `<` and `>`, unresolved. */
  target: string;
  /** Relation types, lower-cased (`rel="next last"` gives ['next', 'last']). */
  rel: string[];
  /** The other params: names lower-cased, values unquoted; the first occurrence wins. */
  params: Record<string, string>;
}

function readLink(r: HeaderReader): Link | undefined {
  if (r.peek() !== '<') return undefined;
  const end = r.find('>', r.pos + 1);
  if (end < 0) return undefined;
  const target = r.text.slice(r.pos + 1, end).trim();
  r.pos = end + 1;
  let rel: string[] | undefined;
  const params: Record<string, string> = {};
  for (;;) {
    r.skipSpace();
    if (r.peek() !== ';') break;
    r.pos++;
    r.skipSpace();
    const name = r.token().toLowerCase();
    if (name === '') break;
    r.skipSpace();
    let value = '';
    if (r.peek() === '=') {
      r.pos++;
      r.skipSpace();
      value = r.peek() === '"' ? r.quoted() : r.bare(';');
    }
    if (name === 'rel') {
      // RFC 8288 §3.3: occurrences of rel after the first are ignored.
      rel ??= value
        .toLowerCase()
        .split(/[ \t]+/)
        .filter((v) => v !== '');
    } else if (!Object.hasOwn(params, name)) {
      Object.defineProperty(params, name, { value, enumerable: true, writable: true, configurable: true });
    }
  }
  return { target, rel: rel ?? [], params };
}

/** Every link in one or more `Link` header values. Never throws; returns [] for undefined. */
export function parseLinkHeader(value: string | readonly string[] | undefined): Link[] {
  return readHeaderValues(value, readLinks);
}

/** Reads every link from `r` (one header value) to its end into `out`. */
export function readLinks(r: HeaderReader, out: Link[]): void {
  for (;;) {
    r.skipSeparators();
    if (r.done) return;
    const link = readLink(r);
    if (link !== undefined) out.push(link);
    r.skipToComma();
  }
}

/**
 * The target of the first `rel="next"` link, resolved against the URL of the request that got
 * the header; undefined when there is none or it does not resolve. Whether the result may leave
 * the registry's origin is the caller's decision (see isSameOrigin).
 */
export function nextPageUrl(value: string | readonly string[] | undefined, requestUrl: URL): URL | undefined {
  for (const link of parseLinkHeader(value)) {
    if (!link.rel.includes('next')) continue;
    if (URL.canParse(link.target, requestUrl.href)) return new URL(link.target, requestUrl);
  }
  return undefined;
}

/** Same scheme, host and port (default ports normalised); opaque origins never match. */
export function isSameOrigin(a: URL, b: URL): boolean {
  return a.origin !== 'null' && a.origin === b.origin;
}
