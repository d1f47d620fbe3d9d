/**
 * The functions a --format template may call, and how values print. The set is what docker and
 * regctl users reach for in one-line formats; Go's fmt rules decide how a value prints
 * (`[a b]` for a list, `map[k:v]` for an object), except that null prints as nothing, so a
 * missing `created` leaves an empty column rather than `<nil>`.
 */
import type { FieldType } from './shape.js';

export interface TemplateFunc {
  /** Smallest and largest number of arguments (a piped value counts as the last one). */
  arity: [number, number];
  result: FieldType;
  call(args: unknown[]): unknown;
}

/** A value as text, the way Go's fmt %v prints it. */
export function text(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (Array.isArray(value)) return `[${value.map(text).join(' ')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1));
    return `map[${entries.map(([k, v]) => `${k}:${text(v)}`).join(' ')}]`;
  }
  return String(value);
}

/** Go's truth: false, 0, null, and empty strings, lists and objects are false. */
export function truthy(value: unknown): boolean {
  if (value === null || value === undefined || value === false || value === 0 || value === '') return false;
  if (Array.isArray(value)) return value.length > 0;
  if (typeof value === 'object') return Object.keys(value).length > 0;
  return true;
}

const str: FieldType = { kind: 'string' };
const bool: FieldType = { kind: 'boolean' };

/**
 * Go's `index X K1 K2…`: X[K1][K2]…, for keys a field name cannot spell (label keys hold dots:
 * `{{index .Config.config.Labels "org.opencontainers.image.source"}}`). An object is indexed by a
 * string, a list by a number; anything missing is null (prints as nothing), as a missing map key
 * is Go's zero value.
 */
function index([collection, ...keys]: unknown[]): unknown {
  let value = collection;
  for (const key of keys) {
    if (Array.isArray(value) && typeof key === 'number' && Number.isInteger(key)) value = value[key];
    else if (value !== null && typeof value === 'object' && !Array.isArray(value) && typeof key === 'string')
      value = Object.hasOwn(value, key) ? (value as Record<string, unknown>)[key] : undefined;
    else return undefined;
  }
  return value;
}

/** A %verb of printf: flags, width, precision, verb (Go's fmt, the common part). */
const VERB = /%([-+ 0#]*)(\d+)?(?:\.(\d+))?([a-zA-Z%])/g;

function pad(text: string, flags: string, width: number | undefined, numeric: boolean): string {
  if (width === undefined || text.length >= width) return text;
  if (flags.includes('-')) return text.padEnd(width);
  if (flags.includes('0') && numeric) {
    const sign = /^[-+]/.test(text) ? text.charAt(0) : '';
    return sign + text.slice(sign.length).padStart(width - sign.length, '0');
  }
  return text.padStart(width);
}

/** One value for one verb, or Go's `%!v(…)` marker for a mismatch. */
function formatOne(verb: string, flags: string, precision: number | undefined, value: unknown): string {
  const number = typeof value === 'number' ? value : undefined;
  const signed = (s: string): string =>
    flags.includes('+') && number !== undefined && number >= 0 ? `+${s}` : s;
  switch (verb) {
    case 'v':
    case 's': {
      const shown = text(value);
      return precision === undefined ? shown : shown.slice(0, precision);
    }
    case 'q':
      return JSON.stringify(text(value));
    case 'd':
      return number !== undefined ? signed(String(Math.trunc(number))) : `%!d(${text(value)})`;
    case 'f':
      return number !== undefined ? signed(number.toFixed(precision ?? 6)) : `%!f(${text(value)})`;
    case 'x':
    case 'X': {
      const hex =
        number !== undefined
          ? Math.trunc(number).toString(16)
          : Buffer.from(text(value), 'utf8').toString('hex');
      return verb === 'X' ? hex.toUpperCase() : hex;
    }
    case 't':
      return typeof value === 'boolean' ? String(value) : `%!t(${text(value)})`;
    default:
      return `%!${verb}(${text(value)})`;
  }
}

/**
 * Go's `printf FORMAT ARGS…` with the verbs people use in one-line formats: %v %s %q %d %f %x %X
 * %t and %%, with flags (- + 0), width and precision: `{{printf "%-20s %s" .Tag .Digest}}`.
 * A missing argument prints Go's `%!v(MISSING)`.
 */
function printf([format, ...args]: unknown[]): string {
  let next = 0;
  return text(format).replace(VERB, (_, flags: string, width?: string, precision?: string, verb = 'v') => {
    if (verb === '%') return '%';
    if (next >= args.length) return `%!${verb}(MISSING)`;
    const value = args[next++];
    const shown = formatOne(verb, flags, precision === undefined ? undefined : Number(precision), value);
    return pad(shown, flags, width === undefined ? undefined : Number(width), 'dfxX'.includes(verb));
  });
}

export const FUNCS: Readonly<Record<string, TemplateFunc>> = {
  /** {{json .}} / {{json .Platforms}}: compact JSON, as Go's json function. */
  json: { arity: [1, 1], result: str, call: ([v]) => JSON.stringify(v ?? null) },
  /**
   * {{join .Platforms ","}}. Piped, `{{.Platforms | join ","}}` hands the list last; the list is
   * found by its type, so both orders work.
   */
  join: {
    arity: [2, 2],
    result: str,
    call: ([a, b]) => {
      const [list, sep] = Array.isArray(b) && !Array.isArray(a) ? [b, a] : [a, b];
      return (Array.isArray(list) ? list : list === null || list === undefined ? [] : [list])
        .map(text)
        .join(text(sep));
    },
  },
  upper: { arity: [1, 1], result: str, call: ([v]) => text(v).toUpperCase() },
  lower: { arity: [1, 1], result: str, call: ([v]) => text(v).toLowerCase() },
  len: {
    arity: [1, 1],
    result: { kind: 'number' },
    call: ([v]) =>
      Array.isArray(v) || typeof v === 'string'
        ? v.length
        : v !== null && typeof v === 'object'
          ? Object.keys(v).length
          : text(v).length,
  },
  /** {{if eq .Tag "latest"}}: true when the first equals any other (compared as printed). */
  eq: { arity: [2, 16], result: bool, call: ([a, ...rest]) => rest.some((b) => text(a) === text(b)) },
  ne: { arity: [2, 2], result: bool, call: ([a, b]) => text(a) !== text(b) },
  not: { arity: [1, 1], result: bool, call: ([v]) => !truthy(v) },
  index: { arity: [2, 16], result: { kind: 'any' }, call: index },
  printf: { arity: [1, 16], result: str, call: printf },
};
