/**
 * The field tables of docs/output.md, written from OUTPUTS (shapes/) so the documented shapes
 * are the printed ones. `npm run docs` (scripts/docs.ts) writes them between the markers below;
 * test/unit/ui/shapes.test.ts fails when the file is stale.
 */
import { type Field, templateName, typeName } from './shape.js';
import { OUTPUTS, type OutputSpec } from './shapes/index.js';

export const BEGIN = '<!-- BEGIN shapes: generated from src/ui/shapes/ by `npm run docs` -->';
export const END = '<!-- END shapes -->';

function form(o: OutputSpec): string {
  const json = o.json === 'array' ? '`--json`: a JSON array of these objects.' : '`--json`: one JSON object.';
  return [...(o.json ? [json] : []), ...(o.template ? ['Templates see one of these per line.'] : [])].join(
    ' ',
  );
}

/**
 * Table rows; nested objects get a row per field, under their parent's path, and so do the
 * objects of a list (`tags[].digest`) in JSON-only tables.
 */
function rows(fields: Readonly<Record<string, Field>>, template: boolean, path: string[] = []): string[] {
  return Object.entries(fields).flatMap(([key, field]) => {
    const keys = [...path, key];
    const cells = [
      `\`${keys.join('.')}\``,
      ...(template ? [`\`{{.${keys.map(templateName).join('.')}}}\``] : []),
      typeName(field.type).replace('|', '\\|'),
      field.doc,
    ];
    const row = `| ${cells.join(' | ')} |`;
    if (field.type.kind === 'object') return [row, ...rows(field.type.fields, template, keys)];
    if (field.type.kind === 'list' && field.type.of.kind === 'object' && !template)
      return [row, ...rows(field.type.of.fields, template, [...path, `${key}[]`])];
    return [row];
  });
}

export function renderShapesDoc(): string {
  const sections = OUTPUTS.map((o) =>
    [
      `### \`ferry ${o.title}\``,
      '',
      `${o.note} ${form(o)}`,
      '',
      o.template ? '| JSON key | template | type | meaning |' : '| JSON key | type | meaning |',
      o.template ? '| --- | --- | --- | --- |' : '| --- | --- | --- |',
      ...rows(o.shape.fields, o.template),
    ].join('\n'),
  );
  return `${BEGIN}\n\n${sections.join('\n\n')}\n\n${END}`;
}

/** `doc` with the generated block replaced (the markers must be there). */
export function spliceShapesDoc(doc: string): string {
  const begin = doc.indexOf(BEGIN);
  const end = doc.indexOf(END);
  if (begin === -1 || end === -1) throw new Error('docs/output.md lacks the shapes markers');
  return doc.slice(0, begin) + renderShapesDoc() + doc.slice(end + END.length);
}
