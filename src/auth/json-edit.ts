/**
 * Editing one member of a JSON object in place, leaving every other byte of the document as it
 * was. config.json belongs to docker and to the user: re-serialising it would reorder integer-like
 * keys (JavaScript objects put them first), rewrite numbers (`1.50` → `1.5`, big integers lose
 * precision), unescape `\u00e9`, drop duplicate keys and change the indentation. So `login` and
 * `logout` locate the member's text span and splice there, indenting new text like its neighbours.
 *
 * The input must already be valid JSON (the caller parsed it); the scanner relies on that and
 * only tracks strings and bracket depth, without recursion, so deep nesting cannot overflow.
 */

/** One member of an object: where its key starts, where its value starts and ends. */
export interface MemberSpan {
  key: string;
  /** Just after the `{` or `,` before this member (the whitespace that leads it starts here). */
  lead: number;
  /** The key's opening quote. */
  start: number;
  /** Just after the key's closing quote. */
  keyEnd: number;
  valueStart: number;
  /** Just after the value. */
  end: number;
}

export interface ObjectSpan {
  /** The `{`. */
  open: number;
  /** The `}`. */
  close: number;
  members: MemberSpan[];
}

const isSpace = (c: string | undefined): boolean => c === ' ' || c === '\t' || c === '\n' || c === '\r';

function skipSpace(text: string, at: number): number {
  let i = at;
  while (isSpace(text[i])) i++;
  return i;
}

/** Just after the string that opens at `at`. */
function skipString(text: string, at: number): number {
  let i = at + 1;
  while (i < text.length) {
    const c = text[i];
    if (c === '\\') i += 2;
    else if (c === '"') return i + 1;
    else i++;
  }
  throw new Error('json-edit: unterminated string');
}

/** Just after the value that starts at `at`. */
function skipValue(text: string, at: number): number {
  const first = text[at];
  if (first === '"') return skipString(text, at);
  if (first === '{' || first === '[') {
    let depth = 0;
    let i = at;
    while (i < text.length) {
      const c = text[i];
      if (c === '"') {
        i = skipString(text, i);
        continue;
      }
      if (c === '{' || c === '[') depth++;
      else if (c === '}' || c === ']') {
        depth--;
        if (depth === 0) return i + 1;
      }
      i++;
    }
    throw new Error('json-edit: unbalanced brackets');
  }
  let i = at;
  while (i < text.length && !isSpace(text[i]) && text[i] !== ',' && text[i] !== '}' && text[i] !== ']') i++;
  return i;
}

/** The members of the object whose `{` is at `open`. */
export function scanObject(text: string, open: number): ObjectSpan {
  if (text[open] !== '{') throw new Error('json-edit: not an object');
  const members: MemberSpan[] = [];
  let lead = open + 1;
  let i = skipSpace(text, lead);
  if (text[i] === '}') return { open, close: i, members };
  for (;;) {
    const start = i;
    const keyEnd = skipString(text, start);
    const key = JSON.parse(text.slice(start, keyEnd)) as string;
    const valueStart = skipSpace(text, skipSpace(text, keyEnd) + 1); // past the ':'
    const end = skipValue(text, valueStart);
    members.push({ key, lead, start, keyEnd, valueStart, end });
    i = skipSpace(text, end);
    if (text[i] === '}') return { open, close: i, members };
    lead = i + 1; // past the ','
    i = skipSpace(text, lead);
  }
}

/** The document's top-level object (after an optional byte order mark and whitespace). */
export function rootObject(text: string): ObjectSpan {
  return scanObject(text, skipSpace(text, text.startsWith('\uFEFF') ? 1 : 0));
}

/** The last member named `key` (the one JSON parsers keep), if any. */
export function findMember(object: ObjectSpan, key: string): MemberSpan | undefined {
  return object.members.findLast((m) => m.key === key);
}

/** How the document is laid out: one indentation step, and whether members go on their own lines. */
export interface Layout {
  pretty: boolean;
  unit: string;
}

/**
 * docker writes config.json with `json.MarshalIndent(…, "", "\t")`, so a tab is the default step;
 * otherwise the step is what the first top-level member is indented by.
 */
export function detectLayout(text: string): Layout {
  const root = rootObject(text);
  const first = root.members[0];
  if (!first) return { pretty: true, unit: '\t' };
  const lead = text.slice(first.lead, first.start);
  const newline = lead.lastIndexOf('\n');
  if (newline === -1) return { pretty: false, unit: '' };
  const unit = lead.slice(newline + 1);
  return { pretty: true, unit: unit === '' ? '\t' : unit };
}

/** The indentation of the line `at` is on. */
function indentOfLine(text: string, at: number): string {
  const lineStart = text.lastIndexOf('\n', at - 1) + 1;
  let i = lineStart;
  while (text[i] === ' ' || text[i] === '\t') i++;
  return text.slice(lineStart, i);
}

/** A flat object of strings (an `auths` entry) as JSON text, laid out at `indent`. */
export function renderEntry(fields: Record<string, string>, indent: string, layout: Layout): string {
  const pairs = Object.entries(fields).map(
    ([k, v]) => `${JSON.stringify(k)}:${layout.pretty ? ' ' : ''}${JSON.stringify(v)}`,
  );
  if (pairs.length === 0) return '{}';
  if (!layout.pretty) return `{${pairs.join(',')}}`;
  const inner = indent + layout.unit;
  return `{\n${pairs.map((p) => inner + p).join(`,\n`)}\n${indent}}`;
}

/** What to put as a member's value, given the indentation of the member's own line. */
export type ValueText = (indent: string) => string;

/**
 * Sets `object[key]` to `value`: replaces the last member of that name in place (and drops earlier
 * duplicates, which parsers ignore anyway), or appends a member laid out like the last one.
 */
export function setMember(
  text: string,
  object: ObjectSpan,
  key: string,
  value: ValueText,
  layout: Layout,
): string {
  const existing = findMember(object, key);
  if (existing) {
    const replaced =
      text.slice(0, existing.valueStart) +
      value(indentOfLine(text, existing.start)) +
      text.slice(existing.end);
    const duplicates = object.members.filter((m) => m.key === key && m !== existing);
    // Earlier duplicates sit before the replaced span: removing them back to front keeps positions valid.
    let out = replaced;
    for (const dup of duplicates.reverse()) out = removeSpan(out, scanObject(out, object.open), dup.start);
    return out;
  }
  const last = object.members.at(-1);
  if (last) {
    const lead = text.slice(last.lead, last.start);
    const colon = text.slice(last.keyEnd, last.valueStart);
    const indent = lead.includes('\n') ? lead.slice(lead.lastIndexOf('\n') + 1) : '';
    const member = `,${lead}${JSON.stringify(key)}${colon}${value(indent)}`;
    return text.slice(0, last.end) + member + text.slice(last.end);
  }
  // An empty object: the member goes one step in from the line the `{` is on.
  const outer = indentOfLine(text, object.open);
  const inner = outer + layout.unit;
  const member = layout.pretty
    ? `\n${inner}${JSON.stringify(key)}: ${value(inner)}\n${outer}`
    : `${JSON.stringify(key)}:${value('')}`;
  return text.slice(0, object.open + 1) + member + text.slice(object.close);
}

/** Removes the member that starts at `start` with its separating comma and leading whitespace. */
function removeSpan(text: string, object: ObjectSpan, start: number): string {
  const index = object.members.findIndex((m) => m.start === start);
  const member = object.members[index];
  if (!member) return text;
  if (object.members.length === 1) return text.slice(0, object.open + 1) + text.slice(object.close);
  const previous = object.members[index - 1];
  if (previous) return text.slice(0, previous.end) + text.slice(member.end);
  const next = object.members[index + 1]!;
  return text.slice(0, member.start) + text.slice(next.start);
}

/** Removes every member named `key` (there may be duplicates); the text is unchanged when none. */
export function removeMember(text: string, objectAt: number, key: string): string {
  let out = text;
  for (;;) {
    const object = scanObject(out, objectAt);
    const member = findMember(object, key);
    if (!member) return out;
    out = removeSpan(out, object, member.start);
  }
}
