/**
 * Parses a lexed --format template into a tree and checks it against the item's shape while doing
 * so: every field is looked up in the shape (a PascalCase name → its JSON key), so an unknown
 * field or a field of a string is a usage error naming the valid fields, before ferry sends any
 * request. Supported: {{pipeline}}, {{if}}/{{else if}}/{{else}}/{{end}}, {{range}}/{{else}}/{{end}}
 * (inside a range, `.` is the element and `$` the item), `|` pipes and ( ) sub-pipelines.
 */

import { type FieldType, type ObjectType, templateName, typeName } from './shape.js';
import { FUNCS, type TemplateFunc } from './template-funcs.js';
import { type Piece, type Token, templateError } from './template-lex.js';

/** One field step: `key` is the JSON key when the shape knows it; free-form JSON is looked up by name. */
export interface Step {
  name: string;
  key?: string;
}

export type Term =
  | { k: 'field'; root: boolean; path: Step[] }
  | { k: 'lit'; v: unknown }
  | { k: 'pipe'; pipe: Pipeline };

export interface Command {
  fn?: TemplateFunc;
  args: Term[];
}

export type Pipeline = Command[];

export type Node =
  | { k: 'text'; text: string }
  | { k: 'action'; pipe: Pipeline }
  | { k: 'if'; branches: { cond: Pipeline; body: Node[] }[]; otherwise: Node[] }
  | { k: 'range'; pipe: Pipeline; body: Node[]; otherwise: Node[] };

export interface Parsed {
  nodes: Node[];
  /** JSON keys of the item read at the top level, or 'all' when the item itself is used ({{json .}}). */
  uses: Set<string> | 'all';
}

interface Frame {
  kind: 'root' | 'if' | 'range';
  /** Where nodes go now: the root list, the current if branch, the range body or its else. */
  into: Node[];
  /** What `.` is here: the item, or a range's element. */
  dot: FieldType;
  /** The item itself is `.` here (not inside a range body). */
  top: boolean;
  node?: Extract<Node, { k: 'if' | 'range' }>;
  sawElse: boolean;
  outer?: Frame;
}

const UNSUPPORTED = new Set(['with', 'define', 'template', 'block', 'break', 'continue']);

export function parse(pieces: readonly Piece[], shape: ObjectType, flag: string): Parsed {
  const uses = new Set<string>();
  let usesAll = false;
  const root: Frame = { kind: 'root', into: [], dot: shape, top: true, sawElse: false };
  let frame = root;

  const fail = (message: string, pos?: number) => templateError(flag, message, pos);
  const fieldError = (message: string, pos: number) => templateError(flag, message, pos, false);

  function field(token: Extract<Token, { k: 'field' }>, scope: Frame): { term: Term; type: FieldType } {
    let type: FieldType = token.root ? shape : scope.dot;
    if (token.root || scope.top) {
      const first = token.path[0];
      if (first === undefined) usesAll = true;
      else if (type.kind === 'object') {
        const key = Object.keys(type.fields).find((k) => templateName(k) === first);
        if (key) uses.add(key);
      }
    }
    const path: Step[] = [];
    let shown = token.root ? '$' : '';
    for (const name of token.path) {
      if (type.kind === 'object') {
        const fields = type.fields;
        const key = Object.keys(fields).find((k) => templateName(k) === name);
        if (key === undefined) {
          const valid = Object.keys(fields).map((k) => `${shown}.${templateName(k)}`);
          const near = Object.keys(fields).find((k) => k.toLowerCase() === name.toLowerCase());
          const guess = near ? `did you mean ${shown}.${templateName(near)}? ` : '';
          throw fieldError(
            `unknown field ${shown}.${name}; ${guess}valid fields: ${valid.join(', ')}`,
            token.pos,
          );
        }
        path.push({ name, key });
        type = (fields[key] as { type: FieldType }).type;
      } else if (type.kind === 'any') {
        path.push({ name });
      } else {
        const what = shown === '' ? (scope.top ? 'the item' : '. (the range element)') : shown;
        throw fieldError(`${what} is a ${typeName(type)} and has no field .${name}`, token.pos);
      }
      shown += `.${name}`;
    }
    return { term: { k: 'field', root: token.root, path }, type };
  }

  /** Parses a pipeline from tokens[i]; stops at the end, or at ')' when nested. */
  function pipeline(
    tokens: readonly Token[],
    start: number,
    scope: Frame,
    nested: boolean,
  ): { pipe: Pipeline; type: FieldType; end: number } {
    const pipe: Pipeline = [];
    let type: FieldType = { kind: 'any' };
    let i = start;
    for (;;) {
      const first = tokens[i];
      if (first === undefined || first.k === '|' || first.k === ')') {
        throw fail('missing value in the pipeline', first?.pos);
      }
      const piped = pipe.length > 0;
      let fn: TemplateFunc | undefined;
      if (first.k === 'ident') {
        fn = FUNCS[first.v];
        if (!fn) {
          const what = ['if', 'else', 'end', 'range'].includes(first.v)
            ? `{{${first.v}}} must start its own action`
            : `unknown function "${first.v}" (functions: ${Object.keys(FUNCS).join(', ')})`;
          throw fail(what, first.pos);
        }
        i++;
      } else if (piped) {
        throw fail('only a function can follow "|"', first.pos);
      }
      const args: Term[] = [];
      const argTypes: FieldType[] = [];
      for (;;) {
        const token = tokens[i];
        if (token === undefined || token.k === '|' || token.k === ')') break;
        if (!fn && args.length === 1)
          throw fail('unexpected value after a value: a function call?', token.pos);
        if (token.k === '(') {
          const inner = pipeline(tokens, i + 1, scope, true);
          args.push({ k: 'pipe', pipe: inner.pipe });
          argTypes.push(inner.type);
          i = inner.end + 1;
        } else if (token.k === 'field') {
          const resolved = field(token, scope);
          args.push(resolved.term);
          argTypes.push(resolved.type);
          i++;
        } else if (token.k === 'ident') {
          throw fail(`a function used as an argument needs parentheses: (${token.v} …)`, token.pos);
        } else if (token.k === 'string' || token.k === 'number' || token.k === 'bool') {
          args.push({ k: 'lit', v: token.v });
          argTypes.push({ kind: token.k === 'bool' ? 'boolean' : token.k });
          i++;
        } else {
          throw fail(`unexpected "${token.k}"`, token.pos);
        }
      }
      if (fn) {
        const count = args.length + (piped ? 1 : 0);
        const name = (first as { v: string }).v;
        const [min, max] = fn.arity;
        if (count < min || count > max) {
          const wanted = min === max ? `${min}` : `${min} to ${max}`;
          throw fail(`${name} takes ${wanted} argument${max === 1 ? '' : 's'}, got ${count}`, first.pos);
        }
        type = fn.result;
      } else {
        type = argTypes[0] ?? { kind: 'any' };
      }
      pipe.push(fn ? { fn, args } : { args });
      const next = tokens[i];
      if (next === undefined) {
        if (nested) throw fail('unclosed "("', tokens[start - 1]?.pos);
        return { pipe, type, end: i };
      }
      if (next.k === ')') {
        if (!nested) throw fail('unexpected ")"', next.pos);
        return { pipe, type, end: i };
      }
      i++; // '|'
    }
  }

  const whole = (tokens: readonly Token[], start: number, scope: Frame) =>
    pipeline(tokens, start, scope, false);

  function open(kind: 'if' | 'range', tokens: readonly Token[], pos: number): void {
    if (tokens.length < 2) throw fail(`{{${kind}}} needs a value`, pos);
    const { pipe, type } = whole(tokens, 1, frame);
    if (kind === 'if') {
      const node: Node = { k: 'if', branches: [{ cond: pipe, body: [] }], otherwise: [] };
      frame.into.push(node);
      frame = {
        kind,
        into: node.branches[0]!.body,
        dot: frame.dot,
        top: frame.top,
        node,
        sawElse: false,
        outer: frame,
      };
      return;
    }
    if (type.kind !== 'list' && type.kind !== 'any') {
      throw fail(`{{range}} needs a list, not a ${typeName(type)}`, pos);
    }
    const node: Node = { k: 'range', pipe, body: [], otherwise: [] };
    frame.into.push(node);
    const dot = type.kind === 'list' ? type.of : type;
    frame = { kind, into: node.body, dot, top: false, node, sawElse: false, outer: frame };
  }

  for (const piece of pieces) {
    if (piece.k === 'text') {
      frame.into.push({ k: 'text', text: piece.text });
      continue;
    }
    const { tokens, pos } = piece;
    const head = tokens[0];
    if (head === undefined) throw fail('empty action {{}}', pos);
    const keyword = head.k === 'ident' ? head.v : undefined;
    if (keyword === 'if' || keyword === 'range') {
      open(keyword, tokens, pos);
    } else if (keyword === 'else') {
      const node = frame.node;
      const outer = frame.outer;
      if (!node || !outer || frame.sawElse) throw fail('{{else}} without {{if}} or {{range}}', pos);
      if (tokens[1]?.k === 'ident' && tokens[1].v === 'if' && node.k === 'if') {
        if (tokens.length < 3) throw fail('{{else if}} needs a value', pos);
        const { pipe } = whole(tokens, 2, outer);
        const branch = { cond: pipe, body: [] as Node[] };
        node.branches.push(branch);
        frame = { ...frame, into: branch.body };
      } else {
        if (tokens.length > 1) throw fail('unexpected value after {{else}}', tokens[1]?.pos);
        frame = { ...frame, into: node.otherwise, dot: outer.dot, top: outer.top, sawElse: true };
      }
    } else if (keyword === 'end') {
      if (!frame.outer) throw fail('{{end}} without {{if}} or {{range}}', pos);
      if (tokens.length > 1) throw fail('unexpected value after {{end}}', tokens[1]?.pos);
      frame = frame.outer;
    } else if (keyword !== undefined && UNSUPPORTED.has(keyword)) {
      throw fail(`{{${keyword}}} is not supported (supported: if, else, range, end)`, pos);
    } else {
      frame.into.push({ k: 'action', pipe: whole(tokens, 0, frame).pipe });
    }
  }
  if (frame !== root) throw fail(`unclosed {{${frame.kind}}}: missing {{end}}`);
  return { nodes: root.into, uses: usesAll ? 'all' : uses };
}
