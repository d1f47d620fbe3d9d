// --shard I/N: parsing, and the property the issue asks for: over any set of repository names,
// the N shards are pairwise disjoint and together hold every name; the same name always lands in
// the same shard.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { inShard, parseShard, shardOf } from '../../../../src/copy/sync/shard.js';
import { isFerryError } from '../../../../src/errors.js';

describe('parseShard', () => {
  test('I/N from 0', () => {
    assert.deepEqual(parseShard('0/1'), { index: 0, count: 1 });
    assert.deepEqual(parseShard('3/4'), { index: 3, count: 4 });
  });
  test('anything else is a usage error', () => {
    for (const bad of ['4/4', '1/0', '-1/3', '1', 'a/b', '1/2/3', '', '1/10001']) {
      assert.throws(
        () => parseShard(bad),
        (err: unknown) => isFerryError(err) && err.code === 'E_USAGE',
        bad,
      );
    }
  });
});

describe('shardOf', () => {
  test('stable: values written down once (machines of one mirror must agree, run after run)', () => {
    // A change of hash would move repositories between shards that are running.
    assert.deepEqual(
      ['ghcr.io/org/a', 'ghcr.io/org/b', 'docker.io/library/alpine', '127.0.0.1:5000/x'].map((n) =>
        shardOf(n, 7),
      ),
      [0, 1, 4, 6],
    );
  });

  test('property: disjoint and complete for any names and any N', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.string({ minLength: 1, maxLength: 40 }), { maxLength: 60 }),
        fc.integer({ min: 1, max: 12 }),
        (names, count) => {
          const seen = new Map<string, number>();
          for (let index = 0; index < count; index++) {
            for (const name of names.filter((n) => inShard(n, { index, count }))) {
              assert.equal(seen.has(name), false, `${name} in two shards`);
              seen.set(name, index);
            }
          }
          assert.equal(seen.size, names.length, 'every name in some shard');
        },
      ),
    );
  });

  test('spreads: 1000 names over 4 shards, none empty or holding most', () => {
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 1000; i++) counts[shardOf(`registry.example.com/org/repo-${i}`, 4)]!++;
    for (const c of counts) assert.ok(c > 150 && c < 350, `${counts}`);
  });

  test('no shard given: everything', () => assert.equal(inShard('x/y', undefined), true));
});
