/**
 * `ls --filter` values, parsed by commander as they come (so a bad one is a usage error before any
 * request) into one TagFilter (registry/tag-filter.ts). The keys are docker's `image ls` ones
 * that make sense for a registry: `reference=GLOB` (also written bare: `--filter 'v1.*'`),
 * `since=TAG`, `before=TAG`.
 */
import { UsageError } from '../errors.js';
import { tagRegExp } from '../ref/index.js';
import { NO_FILTER, type TagFilter } from '../registry/tag-filter.js';
import { globToRegExp } from '../util/glob.js';
import { option } from './spec.js';

const KEYS = ['reference', 'since', 'before'] as const;

export function parseFilter(value: string, previous: TagFilter | undefined): TagFilter {
  const filter = previous ?? NO_FILTER;
  const eq = value.indexOf('=');
  // A tag never holds '=', so a value without one can only be a glob.
  const key = eq === -1 ? 'reference' : value.slice(0, eq).trim();
  const arg = eq === -1 ? value : value.slice(eq + 1);
  if (!(KEYS as readonly string[]).includes(key)) {
    throw new UsageError(`unknown --filter key '${key}' (valid: ${KEYS.join(', ')}, or a bare glob)`, {
      hint: "--filter 'reference=v1.*', --filter since=1.0, --filter before=2.0",
    });
  }
  if (arg === '') throw new UsageError(`--filter ${key}= needs a value`);
  if (key === 'reference') {
    let glob: RegExp;
    try {
      glob = globToRegExp(arg);
    } catch (err) {
      throw new UsageError(`--filter ${value}: the glob ${(err as Error).message}`);
    }
    return { ...filter, references: [...filter.references, glob] };
  }
  if (!tagRegExp.test(arg)) throw new UsageError(`--filter ${key}=${arg}: '${arg}' is not a tag`);
  const k = key as 'since' | 'before';
  if (filter[k] !== undefined) throw new UsageError(`--filter ${key}= may be given once`);
  return { ...filter, [k]: arg };
}

export const filterOption = option({
  flags: '-f, --filter <filter>',
  description:
    "keep tags matching a glob ('v1.*' or reference=GLOB; several: any), created since=TAG or before=TAG (repeatable; all must hold)",
  parse: parseFilter,
});
