/**
 * Tables for `ls -l`. cli-table3 colours its header and borders through @colors/colors, which
 * ignores NO_COLOR and pipes (shared/design/node.md §1.5), so its style is switched off and
 * any colour is applied by ferry itself (a bold header, only when stdout takes colour: color.ts).
 * Loaded lazily: only `ls -l` pays for it.
 */
import type { ChalkInstance } from 'chalk';
import type { TagRow } from './shapes/index.js';

export async function renderTable(
  head: readonly string[],
  rows: readonly (readonly string[])[],
  color?: ChalkInstance,
): Promise<string> {
  const { default: Table } = await import('cli-table3');
  const table = new Table({
    head: head.map((h) => (color ? color.bold(h) : h)),
    style: { head: [], border: [], compact: true, 'padding-left': 0, 'padding-right': 2 },
    chars: {
      top: '',
      'top-mid': '',
      'top-left': '',
      'top-right': '',
      bottom: '',
      'bottom-mid': '',
      'bottom-left': '',
      'bottom-right': '',
      left: '',
      'left-mid': '',
      mid: '',
      'mid-mid': '',
      right: '',
      'right-mid': '',
      middle: '',
    },
  });
  for (const row of rows) table.push([...row]);
  return table
    .toString()
    .split('\n')
    .map((l) => l.trimEnd())
    .join('\n');
}

export function humanSize(size: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  // A rate (bytes over seconds) is fractional: whole bytes, as a size is.
  const bytes = Math.round(size);
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

/** Short names of the manifest media types `ls -l` shows (the full one with --no-trunc). */
const SHORT_TYPES: Readonly<Record<string, string>> = {
  'application/vnd.oci.image.index.v1+json': 'oci index',
  'application/vnd.oci.image.manifest.v1+json': 'oci image',
  'application/vnd.docker.distribution.manifest.list.v2+json': 'docker list',
  'application/vnd.docker.distribution.manifest.v2+json': 'docker image',
};

/** Column caps that keep a row within 120 columns (2 spaces between columns; see tagTable). */
const TAG_WIDTH = 24;
const TYPE_WIDTH = 14;
const PLATFORMS_WIDTH = 30;

/** `text` cut to `width` characters, the cut marked with '…'. */
function cut(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, width - 1)}…`;
}

/** As many platforms as fit in `width`, then `+N` for the rest. */
function platformList(platforms: readonly string[], width: number): string {
  const shown: string[] = [];
  for (const [i, p] of platforms.entries()) {
    const rest = platforms.length - i - 1;
    const candidate = [...shown, p].join(',') + (rest > 0 ? ` +${rest}` : '');
    if (candidate.length > width) break;
    shown.push(p);
  }
  if (shown.length === platforms.length) return shown.join(',');
  const more = ` +${platforms.length - shown.length}`;
  return shown.length === 0 ? `${platforms.length} platforms` : `${shown.join(',')}${more}`;
}

/** '2024-01-01T10:20:30.123Z' → '2024-01-01 10:20' (UTC); anything unparsable as it is. */
function shortTime(iso: string): string {
  const time = Date.parse(iso);
  if (Number.isNaN(time)) return cut(iso, 16);
  return new Date(time).toISOString().slice(0, 16).replace('T', ' ');
}

/**
 * The `ls -l` table. It fits 120 columns: a digest is its first 12 hex characters (as docker
 * shows image IDs), a media type a short name, a tag or a platform list cut with '…' or '+N'
 * (24 + 12 + 14 + 30 + 8 + 16 + 5 × 2 = 114). `full` (--no-trunc) shows everything whole.
 */
export function tagTable(rows: readonly TagRow[], color?: ChalkInstance, full = false): Promise<string> {
  return renderTable(
    ['TAG', 'DIGEST', 'MEDIA TYPE', 'PLATFORMS', 'SIZE', 'CREATED'],
    rows.map((r) =>
      full
        ? [r.tag, r.digest, r.mediaType, r.platforms.join(',') || '-', humanSize(r.size), r.created ?? '-']
        : [
            cut(r.tag, TAG_WIDTH),
            r.digest.slice(r.digest.indexOf(':') + 1, r.digest.indexOf(':') + 13),
            cut(SHORT_TYPES[r.mediaType] ?? r.mediaType, TYPE_WIDTH),
            platformList(r.platforms, PLATFORMS_WIDTH) || '-',
            humanSize(r.size),
            r.created ? shortTime(r.created) : '-',
          ],
    ),
    color,
  );
}
