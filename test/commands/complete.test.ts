// `ferry __complete`, the hook the completion scripts call, against a real registry: tags after
// REPO:, and repositories after HOST/, descending into namespaces as they are typed (HOST/lab/ lists
// lab/*, HOST/lab/deep/ lists lab/deep/*). Local arguments get nothing from it (the shells offer
// file names for those).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  ferryOn,
  type SeededRegistry,
  SINGLE,
  startSeededRegistries,
  stopAll,
  TAGS,
  TAGS_REPO,
} from '../harness/fixtures.js';

describe('ferry __complete', () => {
  let seeded: Record<'anonymous', SeededRegistry>;
  let s: SeededRegistry;
  let host: string;
  const complete = async (...args: string[]): Promise<string[]> => {
    const r = await ferryOn(s, ['__complete', ...args]);
    assert.equal(r.code, 0);
    assert.equal(r.stderr, '');
    return r.stdout.split('\n').filter(Boolean).sort();
  };
  before(async () => {
    seeded = await startSeededRegistries(['anonymous']);
    s = seeded.anonymous;
    host = s.registry.host;
    for (const repo of ['lab/deep/x', 'lab/deep/y', 'other/z']) {
      const r = await ferryOn(s, ['copy', '-q', `${host}/${SINGLE}:v1`, `${host}/${repo}:v1`]);
      assert.equal(r.code, 0, r.stderr);
    }
  });
  after(() => stopAll(seeded));

  test('HOST/ lists every repository', async () => {
    assert.deepEqual(await complete('ls', '<repository>', `${host}/`), [
      `${host}/lab/deep/x`,
      `${host}/lab/deep/y`,
      `${host}/lab/multi`,
      `${host}/lab/single`,
      `${host}/lab/tags`,
      `${host}/other/z`,
    ]);
  });

  test('HOST/lab/ lists lab/*, HOST/lab/deep/ lists lab/deep/*, HOST/lab/s lists lab/s*', async () => {
    assert.deepEqual(await complete('ls', '<repository>', `${host}/lab/`), [
      `${host}/lab/deep/x`,
      `${host}/lab/deep/y`,
      `${host}/lab/multi`,
      `${host}/lab/single`,
      `${host}/lab/tags`,
    ]);
    assert.deepEqual(await complete('manifest', '<image>', `${host}/lab/deep/`), [
      `${host}/lab/deep/x`,
      `${host}/lab/deep/y`,
    ]);
    assert.deepEqual(await complete('pull', '<image>', `${host}/lab/s`), [`${host}/lab/single`]);
    assert.deepEqual(await complete('copy', '<source>', `docker://${host}/other/`), [
      `docker://${host}/other/z`,
    ]);
    assert.deepEqual(await complete('ls', '<repository>', `${host}/nothing/`), []);
  });

  test('REPO: lists its tags', async () => {
    assert.deepEqual(
      await complete('ls', '<repository>', `${host}/${TAGS_REPO}:`),
      [...TAGS].map((t) => `${host}/${TAGS_REPO}:${t}`).sort(),
    );
  });

  test('local arguments get nothing from the registry', async () => {
    assert.deepEqual(await complete('blob.put', '<file>', `${host}/`), []);
    assert.deepEqual(await complete('blob', '[file]', `${host}/`), []);
  });
});
