/**
 * A cursor over one HTTP header field value, with the lexical pieces of RFC 9110 §5.6 (RFC 7230
 * §3.2.6 before it) that `WWW-Authenticate` (auth/challenge.ts) and `Link` (registry/link-header.ts)
 * are built from: tokens, quoted-strings, optional whitespace and list commas.
 *
 *   token         = 1*tchar
 *   quoted-string = DQUOTE *( qdtext / quoted-pair ) DQUOTE
 *   OWS           = *( SP / HTAB )
 *
 * Header values come from servers ferry does not control, so nothing here throws: an unterminated
 * quoted-string runs to the end, and a parser skips what it cannot read. Here (in util/, the lowest
 * layer) because auth/ sits below http/ and registry/ and both need it.
 *
 * Every character is examined through this class, one at a time, and `steps` counts the
 * examinations. A parser built on it that rewinds too far, or scans the rest of the text once per
 * element, shows up as steps growing faster than the text; the property tests assert a bound per
 * character instead of timing the parse.
 */

const TCHAR = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]$/;
/** Whitespace inside a header value; CR and LF too, for values that were folded (obs-fold). */
const SPACE = /^[ \t\r\n]$/;

export class HeaderReader {
  pos = 0;
  /** Characters examined so far (each look at a character, and each character a search passes). */
  steps = 0;
  /** Memo of find(): where `char` next stands at or after `from` (-1: nowhere). */
  private found = new Map<string, { from: number; at: number }>();

  constructor(readonly text: string) {}

  get done(): boolean {
    return this.pos >= this.text.length;
  }

  /** The character at the cursor, '' at the end. */
  peek(): string {
    this.steps++;
    return this.text.charAt(this.pos);
  }

  /** Moves past the characters that match `char` (a one-character pattern) and returns them. */
  readWhile(char: RegExp): string {
    const start = this.pos;
    while (!this.done && char.test(this.peek())) this.pos++;
    return this.text.slice(start, this.pos);
  }

  /** Skips spaces and tabs (and stray CR/LF); returns how many. */
  skipSpace(): number {
    return this.readWhile(SPACE).length;
  }

  /** Skips whitespace and commas: empty list elements are allowed (RFC 9110 §5.6.1). */
  skipSeparators(): void {
    while (!this.done && (SPACE.test(this.peek()) || this.peek() === ',')) this.pos++;
  }

  token(): string {
    return this.readWhile(TCHAR);
  }

  /**
   * An unquoted value up to whitespace, a comma, a quote or one of `stops`. The grammar says
   * token, but servers send `realm=https://host/token` or `type=text/html` unquoted.
   */
  bare(stops = ''): string {
    const start = this.pos;
    for (;;) {
      const c = this.peek();
      if (c === '' || SPACE.test(c) || c === ',' || c === '"' || stops.includes(c)) break;
      this.pos++;
    }
    return this.text.slice(start, this.pos);
  }

  /** Reads a quoted-string starting at `"`, unescaping quoted-pairs; an unterminated one runs to the end. */
  quoted(): string {
    this.pos++;
    let out = '';
    while (!this.done) {
      const c = this.peek();
      this.pos++;
      if (c === '"') return out;
      if (c === '\\' && !this.done) {
        out += this.peek();
        this.pos++;
      } else {
        out += c;
      }
    }
    return out;
  }

  /** Skips to the next comma that is not inside a quoted-string (or to the end). */
  skipToComma(): void {
    while (!this.done && this.peek() !== ',') {
      if (this.peek() === '"') this.quoted();
      else this.pos++;
    }
  }

  /**
   * The index of the next `char` at or after `from` (-1 if none), without moving. Remembered, so a
   * parser that asks again from a later position (one `<` after another with no `>` anywhere) does
   * not scan the same text twice.
   */
  find(char: string, from = this.pos): number {
    const memo = this.found.get(char);
    if (memo !== undefined && memo.from <= from && (memo.at === -1 || from <= memo.at)) return memo.at;
    const at = this.text.indexOf(char, from);
    this.steps += (at === -1 ? this.text.length : at + 1) - from;
    this.found.set(char, { from, at });
    return at;
  }
}

/**
 * Reads every element of one or more values of a list header with `read`: a server may send the
 * header several times, and fetch joins the lines with ", " (RFC 9110 §5.3: the same list either
 * way). undefined (no such header) reads as no elements.
 */
export function readHeaderValues<T>(
  values: string | readonly string[] | undefined,
  read: (r: HeaderReader, out: T[]) => void,
): T[] {
  const out: T[] = [];
  for (const value of typeof values === 'string' ? [values] : (values ?? []))
    read(new HeaderReader(value), out);
  return out;
}
