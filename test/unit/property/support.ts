/**
 * Shared pieces of the property suites (fast-check): the run settings and the "typed failures only"
 * check every reader is held to.
 *
 * Runs are reproducible: the seed is fixed unless FERRY_FC_SEED is set (fast-check prints the seed
 * and path of a failure; re-run with that seed to replay it). FERRY_FC_RUNS scales every numRuns,
 * e.g. FERRY_FC_RUNS=10 for a long soak.
 */
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { buildSync } from 'esbuild';
import fc from 'fast-check';
import { FerryError } from '../../../src/errors.js';

const envSeed = process.env['FERRY_FC_SEED'];
export const SEED = envSeed === undefined || envSeed === '' ? 0x0fe77e : Number(envSeed);
const scale = Number(process.env['FERRY_FC_RUNS'] ?? '1') || 1;

/** fc.assert parameters: the fixed seed and `numRuns` (scaled by FERRY_FC_RUNS). */
export function runs<T>(numRuns: number, extra: fc.Parameters<T> = {}): fc.Parameters<T> {
  return {
    seed: SEED,
    numRuns: Math.max(1, Math.round(numRuns * scale)),
    includeErrorInReport: true,
    ...extra,
  };
}

type ErrorClass = abstract new (...args: never[]) => FerryError;

export type Outcome<T> = { ok: true; value: T } | { ok: false; error: FerryError };

/**
 * Runs `fn` and returns its value or the FerryError it threw. Anything else thrown (a TypeError from
 * a parser, a RangeError from deep recursion) fails the property with the original error attached.
 * With `only`, a FerryError must also be one of those classes. Its hint must be one line.
 */
export function typed<T>(fn: () => T, only: readonly ErrorClass[] = [FerryError]): Outcome<T> {
  try {
    return { ok: true, value: fn() };
  } catch (err) {
    return { ok: false, error: checkTyped(err, only) };
  }
}

/** The async form of `typed`. */
export async function typedAsync<T>(
  fn: () => Promise<T>,
  only: readonly ErrorClass[] = [FerryError],
): Promise<Outcome<T>> {
  try {
    return { ok: true, value: await fn() };
  } catch (err) {
    return { ok: false, error: checkTyped(err, only) };
  }
}

function checkTyped(err: unknown, only: readonly ErrorClass[]): FerryError {
  if (!(err instanceof FerryError)) {
    const what = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    throw new assert.AssertionError({ message: `untyped failure ${what}`, actual: err });
  }
  assert.ok(
    only.some((c) => err instanceof c),
    `expected ${only.map((c) => c.name).join(' or ')}, got ${err.name} (${err.code}): ${err.message}`,
  );
  // cli.ts prints the message through formatError, which folds line breaks, then the hint as it is:
  // a hint must not break the line (it often quotes the input).
  if (err.hint !== undefined) assert.doesNotMatch(err.hint, /[\n\r]/, `hint must be one line: ${err.hint}`);
  return err;
}

/** Rejects after `ms` (clearing its timer when `work` settles first): a reader that hangs fails the run. */
export async function withinTime<T>(ms: number, what: string, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new assert.AssertionError({ message: `${what}: no answer after ${ms} ms` })),
      ms,
    );
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** A string nested `depth` levels deep in JSON arrays: `[[[…"x"…]]]`. JSON.parse takes it; recursion may not. */
export const deepJson = (depth: number, inner = '1'): string => '['.repeat(depth) + inner + ']'.repeat(depth);

// ---- edits of JSON documents -----------------------------------------------------------------

/**
 * Markers for values spliced into JSON text after the edits: DEEP becomes an array nested thousands of
 * levels deep (JSON.stringify could not write it), HUGE an array of thousands of items (as text, so
 * that later edits never land inside it and multiply it).
 */
export const DEEP = '\u0000deep\u0000';
export const HUGE = '\u0000huge\u0000';

export function spliceMarkers(text: string, depth: number, count: number, item: unknown): string {
  return text
    .replaceAll(JSON.stringify(DEEP), deepJson(depth))
    .replaceAll(JSON.stringify(HUGE), `[${Array(count).fill(JSON.stringify(item)).join(',')}]`);
}

/** Values of the wrong type or shape for any field: what a hostile document puts where a string or number belongs. */
export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom<unknown>(
    null,
    true,
    false,
    0,
    -1,
    1.5,
    -0.5,
    2 ** 53,
    1e300,
    -1e300,
    '',
    'x',
    '2',
    '\n',
    '../../etc/passwd',
    '/etc/passwd',
    'sha256:',
    `sha256:${'A'.repeat(64)}`,
    `sha256:${'a'.repeat(63)}`,
    `sha512:${'a'.repeat(64)}`,
    `md5:${'a'.repeat(32)}`,
    `sha256:${'a'.repeat(64)}\n`,
    [],
    {},
    [1, 'a'],
    ['sha256:x'],
    // String() and template literals throw on these (no callable toString or valueOf).
    { toString: 1 },
    { toString: 1, valueOf: 1 },
    { ['__proto__']: { a: 1 } },
    DEEP,
    HUGE,
  ),
  fc.jsonValue({ maxDepth: 3 }),
);

export type JsonPath = (string | number)[];

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Every path into a JSON tree (objects and arrays), the root included. */
export function jsonPaths(v: unknown, at: JsonPath = [], out: JsonPath[] = []): JsonPath[] {
  out.push(at);
  if (Array.isArray(v)) for (const [i, x] of v.entries()) jsonPaths(x, [...at, i], out);
  else if (isObject(v)) for (const [k, x] of Object.entries(v)) jsonPaths(x, [...at, k], out);
  return out;
}

/** Sets a copy of `value` at `path` as an own property (so `__proto__` is data, as JSON.parse makes it). */
export function setAt(root: unknown, path: JsonPath, value: unknown): void {
  let parent = root as Record<string | number, unknown>;
  for (const k of path.slice(0, -1)) parent = parent[k] as Record<string | number, unknown>;
  // A copy: generated values are shared between runs, and an edit inside one must not reach another.
  Object.defineProperty(parent, path.at(-1)!, {
    value: structuredClone(value),
    enumerable: true,
    writable: true,
    configurable: true,
  });
}

/** Replace the value at a node, delete it, or add a key to an object; `at` picks the node (modulo their number). */
export type Edit =
  | { op: 'set'; at: number; value: unknown }
  | { op: 'delete'; at: number }
  | { op: 'add'; at: number; key: string; value: unknown };

export function editOf(value: fc.Arbitrary<unknown>, key: fc.Arbitrary<string>): fc.Arbitrary<Edit> {
  return fc.oneof(
    fc.record({ op: fc.constant('set' as const), at: fc.nat(), value }),
    fc.record({ op: fc.constant('delete' as const), at: fc.nat() }),
    fc.record({ op: fc.constant('add' as const), at: fc.nat(), key, value }),
  );
}

/** Applies one edit in place (a root `set` returns the new root). */
export function applyEdit(root: unknown, e: Edit): unknown {
  const all = jsonPaths(root);
  const path = all[e.at % all.length]!;
  if (path.length === 0) return e.op === 'set' ? structuredClone(e.value) : root;
  if (e.op === 'set') setAt(root, path, e.value);
  else if (e.op === 'delete') {
    let parent = root as Record<string | number, unknown>;
    for (const k of path.slice(0, -1)) parent = parent[k] as Record<string | number, unknown>;
    const key = path.at(-1)!;
    if (Array.isArray(parent)) parent.splice(Number(key), 1);
    else delete parent[key];
  } else {
    let target = root as Record<string | number, unknown>;
    for (const k of path) target = target[k] as Record<string | number, unknown>;
    if (isObject(target)) setAt(target, [e.key], e.value);
  }
  return root;
}

/** `doc` (left untouched) with the edits applied, as JSON text with the markers spliced in. */
export function editedJson(
  doc: unknown,
  edits: readonly Edit[],
  depth: number,
  count: number,
  item: unknown,
): string {
  const edited = edits.reduce<unknown>((acc, e) => applyEdit(acc, e), structuredClone(doc));
  return spliceMarkers(JSON.stringify(edited) ?? 'null', depth, count, item);
}

/** What a call in an Isolated worker came to: a value, an error (its class name and message), or no answer in time. */
export type IsolatedResult =
  | { status: 'ok'; value: unknown }
  | { status: 'threw'; name: string; ferry: boolean; message: string }
  | { status: 'timeout' };

/**
 * Calls exports of a source module in a worker thread, so that a call that never returns (a regular
 * expression backtracking exponentially, an endless loop) can be stopped: the worker is terminated
 * after `ms` and a fresh one started for the next call. The module is bundled with esbuild (the
 * worker cannot load .ts by itself); arguments and results must be structured-cloneable.
 */
export class Isolated {
  private worker: Worker | undefined;
  private readonly code: string;

  constructor(entry: string) {
    const bundle = buildSync({
      entryPoints: [fileURLToPath(new URL(entry, import.meta.url))],
      bundle: true,
      format: 'cjs',
      platform: 'node',
      target: 'node20',
      write: false,
      logLevel: 'silent',
    });
    const moduleCode = bundle.outputFiles[0]!.text;
    this.code = `
      const { parentPort } = require('node:worker_threads');
      const module = { exports: {} };
      (function (exports, module) { ${moduleCode} })(module.exports, module);
      parentPort.on('message', ({ name, args }) => {
        try {
          parentPort.postMessage({ status: 'ok', value: structuredClone(module.exports[name](...args)) });
        } catch (e) {
          const ferry = typeof e?.code === 'string' && typeof e?.exitCode === 'number';
          parentPort.postMessage({ status: 'threw', name: String(e?.name), ferry, message: String(e?.message) });
        }
      });`;
  }

  /** Calls export `name` with `args`; gives up after `ms` milliseconds. */
  async call(name: string, args: unknown[], ms: number): Promise<IsolatedResult> {
    this.worker ??= new Worker(this.code, { eval: true });
    const worker = this.worker;
    return new Promise<IsolatedResult>((resolve, reject) => {
      const timer = setTimeout(() => {
        cleanup();
        this.worker = undefined;
        void worker.terminate();
        resolve({ status: 'timeout' });
      }, ms);
      const onMessage = (m: IsolatedResult) => {
        cleanup();
        resolve(m);
      };
      const onError = (e: Error) => {
        cleanup();
        this.worker = undefined;
        reject(e);
      };
      const cleanup = () => {
        clearTimeout(timer);
        worker.off('message', onMessage);
        worker.off('error', onError);
      };
      worker.on('message', onMessage);
      worker.on('error', onError);
      worker.postMessage({ name, args });
    });
  }

  async close(): Promise<void> {
    await this.worker?.terminate();
    this.worker = undefined;
  }
}
