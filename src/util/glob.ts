/**
 * Shell-style globs for names without '/' (tags), as docker's `--filter reference=` takes them:
 * `*` any run of characters, `?` one character, `[abc]`, `[a-z]`, `[!a-z]` (or `[^a-z]`) one
 * character of (or not of) a set, `\x` the character x itself. The whole name must match.
 */

/** The glob as an anchored RegExp; throws a plain Error (the caller words it) when malformed. */
export function globToRegExp(glob: string): RegExp {
  let source = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] as string;
    if (c === '*') source += '.*';
    else if (c === '?') source += '.';
    else if (c === '\\') {
      const next = glob[i + 1];
      if (next === undefined) throw new Error('ends with an unfinished "\\"');
      source += literal(next);
      i++;
    } else if (c === '[') {
      const close = glob.indexOf(']', i + 2);
      if (close === -1) throw new Error('has an unclosed "["');
      let set = glob.slice(i + 1, close);
      const negate = set.startsWith('!') || set.startsWith('^');
      if (negate) set = set.slice(1);
      if (set === '') throw new Error('has an empty "[]"');
      source += `[${negate ? '^' : ''}${set.replace(/[\\\]^]/g, '\\$&')}]`;
      i = close;
    } else source += literal(c);
  }
  try {
    return new RegExp(`^${source}$`, 's');
  } catch {
    throw new Error('has a bad character range');
  }
}

const literal = (c: string): string => c.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
