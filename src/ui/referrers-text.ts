/**
 * How `ferry referrers` prints for a person: one line per referrer (artifact type, digest, size,
 * then a legacy cosign tag and the annotations when there are any), or with `--tree` the image
 * on top and each referrer under what it refers to, as `oras discover` draws it. Text from the
 * registry (artifact types, annotations) is shown with control characters escaped: a hostile
 * annotation cannot move the cursor or forge a line.
 */
import type { ReferrerItem } from './shapes/referrers.js';

/** Control characters (C0, DEL, C1) as \uXXXX: one safe line whatever the registry sent. */
const shown = (text: string): string =>
  text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

function describe(item: ReferrerItem): string {
  const parts = [shown(item.artifactType ?? '(no artifact type)'), item.digest, `${item.size}`];
  if (item.legacyTag !== null) parts.push(`[cosign tag ${item.legacyTag}]`);
  const annotations = Object.entries(item.annotations).map(([k, v]) => `${shown(k)}=${shown(v)}`);
  if (annotations.length > 0) parts.push(annotations.join(' '));
  return parts.join('  ');
}

/** One line per referrer, in the order found. */
export function referrerLines(items: readonly ReferrerItem[]): string[] {
  return items.map(describe);
}

/** The tree: `root` first, then each referrer under the one it refers to. */
export function referrerTree(root: string, items: readonly ReferrerItem[]): string[] {
  const lines = [root];
  // Items come depth-first (each followed by its own referrers): a referrer is the last of its
  // level when no later item of the same subject follows before the subtree ends.
  const lastOfLevel = items.map((item, i) => {
    for (let j = i + 1; j < items.length; j++) {
      const next = items[j]!;
      if (next.depth < item.depth) return true;
      if (next.depth === item.depth) return false;
    }
    return true;
  });
  const open: boolean[] = [];
  items.forEach((item, i) => {
    open.length = item.depth - 1;
    const prefix = open.map((more) => (more ? '│   ' : '    ')).join('');
    lines.push(`${prefix}${lastOfLevel[i] ? '└── ' : '├── '}${describe(item)}`);
    open.push(!lastOfLevel[i]);
  });
  return lines;
}
