/**
 * `WWW-Authenticate` parsing (RFC 7235 §4.1, §2.1):
 *
 *   WWW-Authenticate = 1#challenge
 *   challenge        = auth-scheme [ 1*SP ( token68 / #auth-param ) ]
 *   auth-param       = token BWS "=" BWS ( token / quoted-string )
 *
 * The comma separates both challenges and the params inside one, so after a comma we look ahead:
 * `token BWS "="` continues the current challenge, anything else starts a new one. Registries send
 * this header from a server we do not control, so the parser never throws: malformed pieces are
 * skipped up to the next comma and the rest is kept.
 */
import { type HeaderReader, readHeaderValues } from '../util/header-reader.js';

export interface Challenge {
  /** The auth scheme, lower-cased ('bearer', 'basic'). */
  scheme: string;
  /** Auth params: names lower-cased, values unquoted and unescaped. The first occurrence wins. */
  params: Record<string, string>;
  /** Set only when the challenge carries a token68 (`Basic abc==`) instead of params. */
  token68?: string;
}

/** token68 (RFC 7235 §2.1): 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=". */
const TOKEN68_CHAR = /^[A-Za-z0-9\-._~+/]$/;
const EQUALS = /^=$/;

/** Sets an own property even for names like `__proto__`, keeping the first value of a repeated name. */
function setParam(params: Record<string, string>, name: string, value: string): void {
  if (Object.hasOwn(params, name)) return;
  Object.defineProperty(params, name, { value, enumerable: true, writable: true, configurable: true });
}

/**
 * Reads `name=value` pairs into `params` until the text ends or the next list element is not an
 * auth-param (then it is the next challenge's scheme, and the reader is left at its start).
 * Returns how many params were read.
 */
function readParams(r: HeaderReader, params: Record<string, string>): number {
  let count = 0;
  for (;;) {
    r.skipSpace();
    const start = r.pos;
    const name = r.token();
    r.skipSpace();
    if (name === '' || r.peek() !== '=') {
      r.pos = start;
      return count;
    }
    r.pos++;
    r.skipSpace();
    const value = r.peek() === '"' ? r.quoted() : r.bare();
    setParam(params, name.toLowerCase(), value);
    count++;
    r.skipSpace();
    if (!r.done && r.peek() !== ',') r.skipToComma();
    r.skipSeparators();
    if (r.done) return count;
  }
}

/** Reads every challenge from `r` to its end into `out`. */
export function readChallenges(r: HeaderReader, out: Challenge[]): void {
  let current: Challenge | undefined;
  for (;;) {
    r.skipSeparators();
    if (r.done) return;
    const start = r.pos;
    const scheme = r.token();
    if (scheme === '') {
      r.pos++;
      r.skipToComma();
      continue;
    }
    r.skipSpace();
    if (r.peek() === '=') {
      // A param where a scheme should be (`Bearer, realm="x"`): it belongs to the challenge before,
      // unless that one carries a token68, which it has instead of params (`Basic abc=, realm="x"`).
      r.pos = start;
      const owner = current?.token68 === undefined ? current : undefined;
      if (owner === undefined || readParams(r, owner.params) === 0) r.skipToComma();
      continue;
    }
    r.pos = start + scheme.length;
    const challenge: Challenge = { scheme: scheme.toLowerCase(), params: {} };
    current = challenge;
    out.push(challenge);
    const spaces = r.skipSpace();
    if (r.done || r.peek() === ',') continue;
    if (spaces === 0) {
      // `Bearer"x"` or `Basic;realm=x`: nothing usable after the scheme.
      r.skipToComma();
      continue;
    }
    const save = r.pos;
    if (r.readWhile(TOKEN68_CHAR) !== '') {
      r.readWhile(EQUALS);
      const t68 = r.text.slice(save, r.pos);
      r.skipSpace();
      if (r.done || r.peek() === ',') {
        challenge.token68 = t68;
        continue;
      }
      r.pos = save;
    }
    if (readParams(r, challenge.params) === 0) r.skipToComma();
  }
}

/**
 * Parses every challenge in one or more `WWW-Authenticate` header values (a server may send
 * several header lines, and fetch joins them with ", "). Never throws; returns [] for undefined.
 */
export function parseWwwAuthenticate(values: string | readonly string[] | undefined): Challenge[] {
  return readHeaderValues(values, readChallenges);
}

/**
 * The challenge ferry should answer: the first Bearer, else the first Basic. Other schemes
 * (Negotiate, Digest...) are not supported, so they give undefined.
 */
export function pickChallenge(challenges: readonly Challenge[]): Challenge | undefined {
  return challenges.find((c) => c.scheme === 'bearer') ?? challenges.find((c) => c.scheme === 'basic');
}
