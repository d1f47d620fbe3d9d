/**
 * The two edits `login` and `logout` make to config.json's text: set one `auths` entry, or remove
 * some. Everything else in the file keeps its bytes (json-edit.ts says why); a missing or empty
 * file becomes what docker itself would write, tab-indented.
 */
import {
  detectLayout,
  findMember,
  type Layout,
  removeMember,
  renderEntry,
  rootObject,
  scanObject,
  setMember,
} from './json-edit.js';

/** An `auths` object holding one entry, at `indent`. */
function renderAuths(key: string, fields: Record<string, string>, indent: string, layout: Layout): string {
  if (!layout.pretty) return `{${JSON.stringify(key)}:${renderEntry(fields, '', layout)}}`;
  const inner = indent + layout.unit;
  return `{\n${inner}${JSON.stringify(key)}: ${renderEntry(fields, inner, layout)}\n${indent}}`;
}

/** `text` with `auths[key]` set to exactly `fields` (an entry's other fields are dropped, as docker does). */
export function withAuthEntry(text: string | undefined, key: string, fields: Record<string, string>): string {
  const base = text === undefined || text.replace(/^\uFEFF/, '').trim() === '' ? '{}' : text;
  const layout = detectLayout(base);
  const root = rootObject(base);
  const auths = findMember(root, 'auths');
  if (auths && base[auths.valueStart] === '{') {
    const object = scanObject(base, auths.valueStart);
    return setMember(base, object, key, (indent) => renderEntry(fields, indent, layout), layout);
  }
  // No `auths`, or `"auths": null` (docker reads null as empty): put a whole object there.
  return setMember(base, root, 'auths', (indent) => renderAuths(key, fields, indent, layout), layout);
}

/** `text` without the `auths` entries named in `keys`; unchanged when there are none. */
export function withoutAuthEntries(text: string, keys: readonly string[]): string {
  const auths = findMember(rootObject(text), 'auths');
  if (!auths || text[auths.valueStart] !== '{') return text;
  let out = text;
  // The object's `{` stays where it is: only text after it changes.
  for (const key of keys) out = removeMember(out, auths.valueStart, key);
  return out;
}
