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

export function humanSize(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

/** The `ls -l` table. */
export function tagTable(rows: readonly TagRow[], color?: ChalkInstance): Promise<string> {
  return renderTable(
    ['TAG', 'DIGEST', 'MEDIA TYPE', 'PLATFORMS', 'SIZE', 'CREATED'],
    rows.map((r) => [
      r.tag,
      r.digest,
      r.mediaType,
      r.platforms.join(',') || '-',
      humanSize(r.size),
      r.created ?? '-',
    ]),
    color,
  );
}
