/**
 * The order people read tags in: `1.9` before `1.10` (numbers compared as numbers), and a
 * pre-release before its release, as semver §11 has it: `1.0.0-rc1` before `1.0.0`, `2.0-beta.2`
 * before `2.0`. A tag is split at its first '-' when what comes before is a version (`v1.2.3`,
 * `1.2`, `10`) and what follows names a pre-release (alpha, beta, rc, pre, preview, dev, snapshot,
 * nightly, canary, or a number); that part is compared identifier by identifier (split at '.'),
 * numbers below words.
 *
 * Two deviations from semver, both for container tags: words compare with their numbers as
 * numbers (`rc2` before `rc10`), as the rest of the order does; and a suffix that names no
 * pre-release is a variant of the same version (`1.25-alpine`, `3.12-slim`), listed after it as
 * docker's own tag lists read, not before it as semver's syntax alone would put it.
 *
 * The comparison is by (core, has no pre-release, pre-release), each a total order, so sorting is
 * consistent whatever the mix of tags.
 */

// Made on first use: ICU's collator costs a few ms, at every start if made at module load.
let collator: Intl.Collator | undefined;

/** Text order with the digit runs compared as numbers (`rc2` before `rc10`). */
export function compareNatural(x: string, y: string): number {
  collator ??= new Intl.Collator('en', { numeric: true, sensitivity: 'variant' });
  return collator.compare(x, y);
}

const CORE = /^v?\d+(?:\.\d+)*$/;
const NUMBER = /^\d+$/;
const PRE_RELEASE = /^(?:alpha|beta|rc|pre|preview|dev|snapshot|nightly|canary|a|b)?\d*$/i;

interface VersionKey {
  core: string;
  pre: string[] | undefined;
}

function keyOf(tag: string): VersionKey {
  const dash = tag.indexOf('-');
  if (dash > 0 && CORE.test(tag.slice(0, dash)) && dash < tag.length - 1) {
    const pre = tag.slice(dash + 1).split('.');
    if (pre[0] !== '' && PRE_RELEASE.test(pre[0] ?? '')) return { core: tag.slice(0, dash), pre };
  }
  return { core: tag, pre: undefined };
}

function comparePre(a: readonly string[], b: readonly string[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const x = a[i] as string;
    const y = b[i] as string;
    const xNumber = NUMBER.test(x);
    const yNumber = NUMBER.test(y);
    if (xNumber !== yNumber) return xNumber ? -1 : 1;
    const order = xNumber ? Number(x) - Number(y) || compareNatural(x, y) : compareNatural(x, y);
    if (order !== 0) return Math.sign(order);
  }
  return Math.sign(a.length - b.length);
}

export function compareVersions(a: string, b: string): number {
  const x = keyOf(a);
  const y = keyOf(b);
  const core = compareNatural(x.core, y.core);
  if (core !== 0) return core;
  if (x.pre === undefined || y.pre === undefined) {
    if (x.pre === y.pre) return compareNatural(a, b);
    return x.pre === undefined ? 1 : -1;
  }
  return comparePre(x.pre, y.pre) || compareNatural(a, b);
}
