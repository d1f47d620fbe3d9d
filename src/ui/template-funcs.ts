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
};
