/**
 * Splits a --format template into text and actions (Go text/template's lexical rules, trimmed to
 * what ferry supports): `{{ … }}` actions, `{{- ` / ` -}}` trim the whitespace beside them,
 * `{{/* … *\/}}` comments vanish, and in the text `\t`, `\n` and `\\` stand for a tab, a newline
 * and a backslash (so a shell single-quoted '{{.Tag}}\t{{.Digest}}' works, as with docker).
 */
import { UsageError } from '../errors.js';

export type Token =
  | { k: 'field'; root: boolean; path: string[]; pos: number }
  | { k: 'ident'; v: string; pos: number }
  | { k: 'string'; v: string; pos: number }
  | { k: 'number'; v: number; pos: number }
  | { k: 'bool'; v: boolean; pos: number }
  | { k: '|' | '(' | ')'; pos: number };

export type Piece = { k: 'text'; text: string } | { k: 'action'; tokens: Token[]; pos: number };

/**
 * A template problem, as the user sees it: which flag, what, and where (1-based column). Syntax
 * errors get a reminder of the syntax; a field error already lists the valid fields.
 */
export const templateError = (flag: string, message: string, pos?: number, syntax = true): UsageError =>
  new UsageError(`${flag}: ${message}${pos === undefined ? '' : ` (at column ${pos + 1})`}`, {
    hint: syntax
      ? 'templates are Go-style: {{.Field}}, {{json .}}, {{join .List ","}}; see docs/output.md'
      : undefined,
  });

const SPACE = /[ \t\r\n]/;
const IDENT = /[A-Za-z0-9_]/;

function unescapeText(text: string): string {
  return text.replace(/\\([tn\\])/g, (_, c: string) => (c === 't' ? '\t' : c === 'n' ? '\n' : '\\'));
}

export function lex(source: string, flag: string): Piece[] {
  const pieces: Piece[] = [];
  let text = '';
  let trimNext = false;
  let i = 0;
  const flushText = (trimEnd: boolean) => {
    let value = trimNext ? text.replace(/^[ \t\r\n]+/, '') : text;
    if (trimEnd) value = value.replace(/[ \t\r\n]+$/, '');
    if (value !== '') pieces.push({ k: 'text', text: unescapeText(value) });
    text = '';
  };
  while (i < source.length) {
    if (!source.startsWith('{{', i)) {
      text += source[i];
      i++;
      continue;
    }
    const open = i;
    i += 2;
    // Go requires a space after "{{-", so "{{-3}}" stays the number -3.
    const trimBefore = source[i] === '-' && SPACE.test(source[i + 1] ?? '');
    if (trimBefore) i++;
    flushText(trimBefore);
    const { tokens, end, trimAfter } = lexAction(source, i, flag, open);
    i = end;
    trimNext = trimAfter;
    if (tokens !== undefined) pieces.push({ k: 'action', tokens, pos: open });
  }
  flushText(false);
  return pieces;
}

/** Tokens up to the closing "}}" (undefined for a comment), and where the text resumes. */
function lexAction(
  source: string,
  start: number,
  flag: string,
  open: number,
): { tokens: Token[] | undefined; end: number; trimAfter: boolean } {
  let i = start;
  while (SPACE.test(source[i] ?? '')) i++;
  if (source.startsWith('/*', i)) {
    const close = source.indexOf('*/', i + 2);
    if (close === -1) throw templateError(flag, 'unclosed comment', i);
    let j = close + 2;
    while (SPACE.test(source[j] ?? '')) j++;
    const trimAfter = source.startsWith('-}}', j);
    if (trimAfter) j++;
    if (!source.startsWith('}}', j)) throw templateError(flag, 'a comment must end its action', j);
    return { tokens: undefined, end: j + 2, trimAfter };
  }
  const tokens: Token[] = [];
  for (;;) {
    const c = source[i];
    if (c === undefined) throw templateError(flag, 'unclosed action: no "}}"', open);
    if (SPACE.test(c)) {
      i++;
      continue;
    }
    if (c === '-' && source.startsWith('-}}', i) && SPACE.test(source[i - 1] ?? '')) {
      return { tokens, end: i + 3, trimAfter: true };
    }
    if (source.startsWith('}}', i)) return { tokens, end: i + 2, trimAfter: false };
    if (c === '|' || c === '(' || c === ')') {
      tokens.push({ k: c, pos: i });
      i++;
    } else if (c === '.' || c === '$') {
      const pos = i;
      const root = c === '$';
      if (root) i++;
      if (root && IDENT.test(source[i] ?? '')) throw templateError(flag, 'variables are not supported', pos);
      const path: string[] = [];
      while (source[i] === '.') {
        i++;
        let name = '';
        while (IDENT.test(source[i] ?? '')) name += source[i++];
        if (name === '') {
          if (path.length === 0 && !root) break; // a lone "." is the item itself
          throw templateError(flag, 'a field name must follow "."', i);
        }
        if (/^[0-9]/.test(name)) throw templateError(flag, `bad field name .${name}`, i - name.length);
        path.push(name);
      }
      tokens.push({ k: 'field', root, path, pos });
    } else if (c === '"' || c === '`') {
      const pos = i;
      const { value, end } = readString(source, i, flag);
      tokens.push({ k: 'string', v: value, pos });
      i = end;
    } else if (/[0-9-]/.test(c)) {
      const m = /^-?[0-9]+(\.[0-9]+)?/.exec(source.slice(i));
      if (!m) throw templateError(flag, `unexpected "${c}"`, i);
      tokens.push({ k: 'number', v: Number(m[0]), pos: i });
      i += m[0].length;
    } else if (/[A-Za-z_]/.test(c)) {
      const pos = i;
      let name = '';
      while (IDENT.test(source[i] ?? '')) name += source[i++];
      if (name === 'true' || name === 'false') tokens.push({ k: 'bool', v: name === 'true', pos });
      else tokens.push({ k: 'ident', v: name, pos });
    } else if (c === '}') {
      throw templateError(flag, 'a lone "}": actions end with "}}"', i);
    } else {
      throw templateError(flag, `unexpected "${c}" in an action`, i);
    }
  }
}

/** A Go string literal: "…" with escapes (read as JSON, which shares the common ones) or `raw`. */
function readString(source: string, start: number, flag: string): { value: string; end: number } {
  const quote = source[start];
  if (quote === '`') {
    const close = source.indexOf('`', start + 1);
    if (close === -1) throw templateError(flag, 'unclosed raw string', start);
    return { value: source.slice(start + 1, close), end: close + 1 };
  }
  let i = start + 1;
  while (i < source.length && source[i] !== '"') i += source[i] === '\\' ? 2 : 1;
  if (i >= source.length) throw templateError(flag, 'unclosed string', start);
  try {
    return { value: JSON.parse(source.slice(start, i + 1)) as string, end: i + 1 };
  } catch {
    throw templateError(flag, `bad string ${source.slice(start, i + 1)}`, start);
  }
}
