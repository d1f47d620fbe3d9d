// The flattening decisions of `export`, on layers described by their entries alone.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type Action, FlattenPlan, normaliseName, type PlanEntry } from '../../../src/build/flatten-plan.js';

type Layer = PlanEntry[];
const f = (name: string): PlanEntry => ({ name, type: 'file' });
const d = (name: string): PlanEntry => ({ name, type: 'directory' });
const l = (name: string, linkname: string): PlanEntry => ({ name, type: 'link', linkname });

/** Plans `layers` (bottom first) and lists what is written: 'name' or 'name=>action'. */
function plan(layers: Layer[]): string[] {
  const p = new FlattenPlan<string>();
  for (let i = layers.length - 1; i >= 0; i--) p.addLayer(i, layers[i]!, (o) => `L${i}#${o}`);
  const out: string[] = [];
  layers.forEach((layer, i) => {
    layer.forEach((entry, o) => {
      const a: Action<string> | undefined = p.action(i, o);
      if (a === undefined) return;
      if (a.kind === 'write') out.push(a.header ? `${entry.name}(${a.header})` : entry.name);
      else if (a.kind === 'write-as') out.push(`${entry.name}=>as ${a.name}`);
      else out.push(`${entry.name}=>link ${a.linkname}`);
    });
  });
  return out;
}

describe('flatten plan', () => {
  test('names are normalised', () => {
    assert.equal(normaliseName('./a//b/'), 'a/b');
    assert.equal(normaliseName('/'), '');
  });

  test('upper files replace lower ones; a directory is written where it first appears, with the top header', () => {
    assert.deepEqual(
      plan([
        [d('etc'), f('etc/a'), f('etc/b')],
        [d('etc'), f('etc/a')],
      ]),
      ['etc(L1#0)', 'etc/b', 'etc/a'],
    );
  });

  test('a whiteout deletes a file, or a directory with everything under it, from lower layers only', () => {
    assert.deepEqual(
      plan([
        [d('a'), f('a/x'), f('a/y'), d('b'), f('b/z')],
        [f('a/.wh.x'), f('.wh.b')],
        [d('b'), f('b/new')],
      ]),
      ['a(L0#0)', 'a/y', 'b(L2#0)', 'b/new'],
    );
  });

  test('an opaque directory hides its lower contents but keeps itself and its own layer', () => {
    assert.deepEqual(
      plan([
        [d('a'), f('a/old'), f('keep')],
        [d('a'), f('a/.wh..wh..opq'), f('a/new')],
      ]),
      ['a(L1#0)', 'keep', 'a/new'],
    );
  });

  test('a file in place of a directory hides what the directory held', () => {
    assert.deepEqual(plan([[d('a'), f('a/x')], [f('a')]]), ['a']);
  });

  test('within a layer the last entry of a name wins', () => {
    assert.deepEqual(plan([[f('x'), f('y'), f('x')]]), ['y', 'x']);
  });

  test('hard links to a kept target are written as they are', () => {
    assert.deepEqual(plan([[f('bin/a'), l('bin/b', 'bin/a')]]), ['bin/a', 'bin/b']);
  });

  test('a link whose target an upper layer replaced gets the old content under its own name', () => {
    assert.deepEqual(plan([[f('a'), l('b', 'a'), l('c', 'a')], [f('a')]]), ['a=>as b', 'c=>link b', 'a']);
  });

  test('a link whose target an upper layer deleted keeps its content too', () => {
    assert.deepEqual(plan([[f('a'), l('b', 'a')], [f('.wh.a')]]), ['a=>as b']);
  });

  test('a link in an upper layer to a file of a lower one', () => {
    assert.deepEqual(plan([[f('a')], [l('b', 'a')]]), ['a', 'b']);
  });

  test('layers must come from the top down', () => {
    const p = new FlattenPlan<string>();
    p.addLayer(0, [], () => '');
    assert.throws(() => p.addLayer(1, [], () => ''));
  });
});
