/**
 * The declared shape of what a command prints with --json or --format: one place that names each
 * key, its type and its meaning. The template checker reads it (an unknown field is a usage error
 * before any request), docs/output.md is generated from it, and a unit test holds every *Json
 * function to it, so the documented shape, the checked shape and the printed shape cannot drift.
 *
 * Keys are the JSON keys (camelCase); a template names the same key in PascalCase (`digest` is
 * `{{.Digest}}`), as docker, crane and regctl users expect.
 */

export type FieldType =
  | { kind: 'string' | 'number' | 'boolean'; nullable?: true }
  | { kind: 'list'; of: FieldType }
  | { kind: 'object'; fields: Readonly<Record<string, Field>> }
  /** Free-form JSON (a manifest): not checked below this point. */
  | { kind: 'any' };

export interface Field {
  type: FieldType;
  doc: string;
}

export type ObjectType = Extract<FieldType, { kind: 'object' }>;

export const t = {
  string: { kind: 'string' },
  number: { kind: 'number' },
  boolean: { kind: 'boolean' },
  any: { kind: 'any' },
  nullable: (type: { kind: 'string' | 'number' | 'boolean' }): FieldType => ({ ...type, nullable: true }),
  list: (of: FieldType): FieldType => ({ kind: 'list', of }),
  object: (fields: Record<string, Field>): ObjectType => ({ kind: 'object', fields }),
} as const satisfies Record<string, FieldType | ((...args: never[]) => FieldType)>;

/** `f(t.string, 'the tag')`: a field and what it means. */
export const f = (type: FieldType, doc: string): Field => ({ type, doc });

/** The name a template uses for a JSON key: `mediaType` → `MediaType`. */
export const templateName = (key: string): string => key.charAt(0).toUpperCase() + key.slice(1);

/** How docs/output.md writes a type: `string`, `string \| null`, `string[]`, `object`, `JSON`. */
export function typeName(type: FieldType): string {
  switch (type.kind) {
    case 'list':
      return `${typeName(type.of)}[]`;
    case 'object':
      return 'object';
    case 'any':
      return 'JSON';
    default:
      return type.nullable ? `${type.kind} | null` : type.kind;
  }
}
