/**
 * Which tags of a repository a mirror copies (`tags:` of a sync entry, regsync's vocabulary):
 *
 *   allow   regular expressions; with any given, a tag must match one (as written: `-rc` matches
 *           anywhere, `^v1` only at the start)
 *   deny    regular expressions; a tag that matches one is left out
 *   semver  a range ('>=1.2.0 <3', '^2', '~1.4 || >=3'; commas also mean "and", as in the
 *           Masterminds ranges skopeo and regsync read) over the tags that read as versions
 *   latest  the newest N of what is left, newest by version
 *
 * A tag reads as a version when it is `[v]MAJOR[.MINOR[.PATCH]][-PRERELEASE]`: `1.2` is 1.2.0 and
 * `v3` is 3.0.0, as skopeo's and regsync's version parser (Masterminds semver) reads them. Ranges
 * follow npm's semver (the `semver` package): a prerelease passes only a range that names a
 * prerelease of the same version, the rule Masterminds has too.
 */
import { Range, SemVer } from 'semver';
import { compareNatural } from '../../util/version-order.js';

export interface TagRules {
  allow: readonly RegExp[];
  deny: readonly RegExp[];
  /** The range as the user wrote it (for messages) and as parsed. */
  semver?: { text: string; range: Range } | undefined;
  latest?: number | undefined;
}

export const ALL_TAGS: TagRules = { allow: [], deny: [] };

export interface FilteredTag {
  tag: string;
  /** Which rule left it out, in words. */
  reason: string;
}

const VERSION_TAG = /^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:-([0-9A-Za-z.-]+))?$/;

/** The version a tag names, or undefined when it names none ('latest', '3.20-alpine-edge' with a bad prerelease…). */
export function tagVersion(tag: string): SemVer | undefined {
  const m = VERSION_TAG.exec(tag);
  if (!m) return undefined;
  const core = [m[1], m[2] ?? '0', m[3] ?? '0'].map((n) => String(Number(n))).join('.');
  try {
    return new SemVer(m[4] === undefined ? core : `${core}-${m[4]}`);
  } catch {
    return undefined; // a prerelease semver refuses, such as a numeric part with a leading zero
  }
}

/** A semver range, or undefined when the text is none (the config reader words the error). */
export function parseRange(text: string): Range | undefined {
  try {
    return new Range(text.trim().replace(/\s*,\s*/g, ' '));
  } catch {
    return undefined;
  }
}

/**
 * Newest first: versions by semver precedence (1.10 above 1.9, 2.0.0 above 2.0.0-rc1), above
 * every tag that is no version; those among themselves in `ls`'s order, reversed.
 */
export function newestFirst(a: string, b: string): number {
  const va = tagVersion(a);
  const vb = tagVersion(b);
  if (va && vb) return vb.compare(va) || compareNatural(b, a);
  if (va) return -1;
  if (vb) return 1;
  return compareNatural(b, a);
}

/** The tags the rules keep (in the order given) and those they leave out, each with the reason. */
export function selectTags(
  tags: readonly string[],
  rules: TagRules,
): { kept: string[]; filtered: FilteredTag[] } {
  const filtered: FilteredTag[] = [];
  const passed = tags.filter((tag) => {
    const reason = ruleOut(tag, rules);
    if (reason !== undefined) filtered.push({ tag, reason });
    return reason === undefined;
  });
  if (rules.latest === undefined || passed.length <= rules.latest) return { kept: passed, filtered };
  const newest = new Set([...passed].sort(newestFirst).slice(0, rules.latest));
  const kept = passed.filter((tag) => newest.has(tag));
  for (const tag of passed)
    if (!newest.has(tag)) filtered.push({ tag, reason: `not among the latest ${rules.latest}` });
  return { kept, filtered };
}

function ruleOut(tag: string, rules: TagRules): string | undefined {
  if (rules.allow.length > 0 && !rules.allow.some((re) => re.test(tag))) return 'matches no allow pattern';
  const denied = rules.deny.find((re) => re.test(tag));
  if (denied) return `matches deny pattern '${denied.source}'`;
  if (rules.semver) {
    const version = tagVersion(tag);
    if (!version) return `not a version (semver '${rules.semver.text}')`;
    if (!rules.semver.range.test(version)) return `outside semver '${rules.semver.text}'`;
  }
  return undefined;
}
