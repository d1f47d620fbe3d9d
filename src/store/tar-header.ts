/**
 * Field decoding for 512-byte tar headers (POSIX.1-2001 ustar/pax, plus what GNU tar writes),
 * used by tar-index.ts: the checksum, octal and base-256 numbers, pax extended records, and
 * ustar prefix+name. Problems are reported through `bad`, which throws.
 */

/** What pax `x` records (or GNU `L`/`K` long names) say about the next member. */
export interface Pending {
  path?: string;
  linkpath?: string;
  size?: number;
}

const BLOCK = 512;

/** The header sum with the checksum field counted as spaces; old tars summed signed bytes. */
export function checksumOk(header: Buffer): boolean {
  const stored = parseOctal(header.subarray(148, 156));
  if (stored === undefined) return false;
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const b = i >= 148 && i < 156 ? 0x20 : (header[i] ?? 0);
    unsigned += b;
    signed += b > 127 ? b - 256 : b;
  }
  return stored === unsigned || stored === signed;
}

function parseOctal(field: Buffer): number | undefined {
  const text = cString(field).trim();
  if (!/^[0-7]*$/.test(text)) return undefined;
  return text === '' ? 0 : Number.parseInt(text, 8);
}

/** Octal, or base-256 (high bit of the first byte set) for values that do not fit. */
export function parseNumeric(field: Buffer, what: string, bad: (problem: string) => never): number {
  const first = field[0] ?? 0;
  if (first & 0x80) {
    if (first === 0xff) bad(`negative ${what}`);
    let value = first & 0x7f;
    for (const b of field.subarray(1)) value = value * 256 + b;
    if (!Number.isSafeInteger(value)) bad(`${what} is too large`);
    return value;
  }
  const value = parseOctal(field);
  if (value === undefined || !Number.isSafeInteger(value)) bad(`invalid ${what}`);
  return value as number;
}

/** pax records: "<len> <key>=<value>\n", len counting the whole record. */
export function parsePax(data: Buffer, bad: (problem: string) => never): Pending {
  const out: Pending = {};
  let i = 0;
  while (i < data.length) {
    if (data[i] === 0) break; // NUL padding
    const space = data.indexOf(0x20, i);
    const length = space === -1 ? Number.NaN : Number(data.subarray(i, space).toString('latin1'));
    if (
      !Number.isSafeInteger(length) ||
      length <= space - i ||
      i + length > data.length ||
      data[i + length - 1] !== 0x0a
    ) {
      bad('malformed pax extended header');
    }
    const record = data.subarray(space + 1, i + length - 1).toString('utf8');
    const eq = record.indexOf('=');
    if (eq === -1) bad('malformed pax extended header');
    const key = record.slice(0, eq);
    const value = record.slice(eq + 1);
    if (key === 'path') out.path = value;
    else if (key === 'linkpath') out.linkpath = value;
    else if (key === 'size') {
      if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value)))
        bad(`invalid pax size '${value.slice(0, 40)}'`);
      out.size = Number(value);
    }
    i += length;
  }
  return out;
}

export function cString(bytes: Buffer): string {
  const nul = bytes.indexOf(0);
  return bytes.subarray(0, nul === -1 ? bytes.length : nul).toString('utf8');
}

/** POSIX ustar splits long names into prefix (345..500) + name; GNU tars use that area for times. */
export function ustarName(header: Buffer): string {
  const name = cString(header.subarray(0, 100));
  const posix = header.subarray(257, 263).toString('latin1') === 'ustar\0';
  const prefix = posix ? cString(header.subarray(345, 500)) : '';
  return prefix === '' ? name : `${prefix}/${name}`;
}
