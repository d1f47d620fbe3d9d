/**
 * `ls` filters, in the manner of `docker image ls --filter`:
 *   - reference globs on the tag: a tag matching any of them passes (docker ORs `reference=`);
 *   - platforms: the tag's image or index must offer every one (`--platform`, repeatable);
 *   - since / before a tag: created strictly after / before that tag's image, by the configs'
 *     `created` (an index: its newest child, as `ls -l` shows it). Tags without a creation time
 *     fail these two.
 * Different kinds AND together. Globs cost nothing; the others describe the tags (describe.ts),
 * and only then, so `ls --filter 'v1.*'` stays one request.
 */
import { UsageError } from '../errors.js';
import type { Platform } from '../image/descriptor.js';
import { platformMatches } from '../image/platform.js';
import { describeTags, type TagDescription, type TagSource } from './describe.js';

export interface TagFilter {
  /** Anchored globs (util/glob.ts); empty: every tag. */
  references: readonly RegExp[];
  platforms: readonly Platform[];
  since?: string | undefined;
  before?: string | undefined;
}

export const NO_FILTER: TagFilter = { references: [], platforms: [] };

export interface SelectedTag {
  tag: string;
  /** Present when `describe` was asked for or a filter needed it. */
  description?: TagDescription | undefined;
}

export const filterNeedsDescriptions = (f: TagFilter): boolean =>
  f.platforms.length > 0 || f.since !== undefined || f.before !== undefined;

const createdOf = (d: TagDescription | undefined): number | undefined => {
  const time = d?.created === undefined ? Number.NaN : Date.parse(d.created);
  return Number.isNaN(time) ? undefined : time;
};

/**
 * The tags (kept in their order) that pass `filter`, described when `describe` is true or a
 * filter needs it, with at most `concurrency` manifest and config reads in flight.
 */
export async function selectTags(
  source: TagSource,
  tags: readonly string[],
  filter: TagFilter,
  options: { describe: boolean; concurrency: number },
): Promise<SelectedTag[]> {
  const globbed =
    filter.references.length === 0 ? tags : tags.filter((t) => filter.references.some((r) => r.test(t)));
  if (!options.describe && !filterNeedsDescriptions(filter)) return globbed.map((tag) => ({ tag }));

  // A since/before tag need not be on this page, or pass the globs: describe it as well.
  const anchors = [filter.since, filter.before].filter(
    (t): t is string => t !== undefined && !globbed.includes(t),
  );
  const described = await describeTags(source, [...globbed, ...new Set(anchors)], options.concurrency);
  const byTag = new Map(described.map((d) => [d.tag, d]));
  const bound = (key: 'since' | 'before'): number | undefined => {
    const tag = filter[key];
    if (tag === undefined) return undefined;
    const time = createdOf(byTag.get(tag));
    if (time === undefined)
      throw new UsageError(`--filter ${key}=${tag}: ${tag} has no creation time to compare with`);
    return time;
  };
  const since = bound('since');
  const before = bound('before');
  return globbed
    .map((tag) => ({ tag, description: byTag.get(tag) }))
    .filter(({ description: d }) => {
      if (!d) return false;
      if (!filter.platforms.every((want) => d.platformList.some((have) => platformMatches(want, have))))
        return false;
      const created = createdOf(d);
      if (since !== undefined && (created === undefined || created <= since)) return false;
      if (before !== undefined && (created === undefined || created >= before)) return false;
      return true;
    });
}
