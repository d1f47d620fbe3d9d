/**
 * --format templates: a small, dependency-free subset of Go's text/template, the syntax docker,
 * crane and regctl users already type. Parsed and checked once against the item's shape (before
 * any request), then rendered once per item:
 *
 *   {{.Tag}}  {{.A.B}}  {{.}}  {{$.Tag}}        fields (PascalCase names of the --json keys)
 *   {{json .}}  {{join .Platforms ","}}  {{upper .Tag}}  {{lower …}}  {{len …}}  {{eq …}}  {{ne …}}  {{not …}}
 *   {{index .Config.config.Labels "org.opencontainers.image.source"}}  {{printf "%-12s %d" .Tag .Size}}
 *   {{.Tag | upper}}  {{len (join .Platforms ",")}}   pipes and sub-pipelines
 *   {{if …}}…{{else if …}}…{{else}}…{{end}}  {{range .Platforms}}{{.}}{{else}}…{{end}}
 *   {{- trims  -}}  {{/* comments *\/}}  \t \n \\ in the text
 *
 * Lexing, parsing and the functions live in template-lex.ts, template-parse.ts, template-funcs.ts.
 */
import type { ObjectType } from './shape.js';
import { FUNCS, text, truthy } from './template-funcs.js';
import { lex } from './template-lex.js';
import { type Node, type Pipeline, parse, type Step, type Term } from './template-parse.js';

export interface Template {
  readonly source: string;
  /** The text for one item (the caller adds the newline that ends its line). */
  render(item: unknown): string;
  /** JSON keys of the item the template reads, or 'all' ({{json .}}): lets `ls` skip work no field needs. */
  readonly uses: ReadonlySet<string> | 'all';
}

/** Parses and checks `source` against `shape`; throws UsageError (exit 2) naming `flag`. */
export function compileTemplate(source: string, shape: ObjectType, flag = '--format'): Template {
  const { nodes, uses } = parse(lex(source, flag), shape, flag);
  return { source, uses, render: (item) => renderNodes(nodes, { dot: item, root: item }) };
}

interface Scope {
  dot: unknown;
  root: unknown;
}

/** A field of an object: the shape's key, or for free-form JSON the name as written, then camelCase. */
function step(value: unknown, s: Step): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const record = value as Record<string, unknown>;
  if (s.key !== undefined) return record[s.key];
  if (s.name in record) return record[s.name];
  return record[s.name.charAt(0).toLowerCase() + s.name.slice(1)];
}

function evalTerm(term: Term, scope: Scope): unknown {
  switch (term.k) {
    case 'lit':
      return term.v;
    case 'pipe':
      return evalPipeline(term.pipe, scope);
    default:
      return term.path.reduce(step, term.root ? scope.root : scope.dot);
  }
}

function evalPipeline(pipe: Pipeline, scope: Scope): unknown {
  let value: unknown;
  for (const [i, command] of pipe.entries()) {
    const args = command.args.map((a) => evalTerm(a, scope));
    if (i > 0) args.push(value);
    value = command.fn ? command.fn.call(args) : args[0];
  }
  return value;
}

/** What {{range}} walks: a list's items, an object's values in key order (as Go ranges a map). */
function elements(value: unknown): unknown[] {
  if (Array.isArray(value)) return value;
  if (value !== null && typeof value === 'object') {
    return Object.keys(value)
      .sort()
      .map((k) => (value as Record<string, unknown>)[k]);
  }
  return [];
}

function renderNodes(nodes: readonly Node[], scope: Scope): string {
  let out = '';
  for (const node of nodes) {
    switch (node.k) {
      case 'text':
        out += node.text;
        break;
      case 'action':
        out += text(evalPipeline(node.pipe, scope));
        break;
      case 'if': {
        const branch = node.branches.find((b) => truthy(evalPipeline(b.cond, scope)));
        out += renderNodes(branch ? branch.body : node.otherwise, scope);
        break;
      }
      default: {
        const items = elements(evalPipeline(node.pipe, scope));
        if (items.length === 0) out += renderNodes(node.otherwise, scope);
        for (const item of items) out += renderNodes(node.body, { dot: item, root: scope.root });
      }
    }
  }
  return out;
}

/** The function names, for help text and docs. */
export const TEMPLATE_FUNCTIONS: readonly string[] = Object.keys(FUNCS);
