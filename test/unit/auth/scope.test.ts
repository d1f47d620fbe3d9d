import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  catalogScope,
  formatScope,
  mergeScopes,
  parseScope,
  repositoryScope,
  type Scope,
} from '../../../src/auth/scope.js';

describe('repositoryScope', () => {
  const cases: Array<{ repo: string; actions: string[]; want: string }> = [
    { repo: 'lab/img', actions: ['pull'], want: 'repository:lab/img:pull' },
    { repo: 'lab/img', actions: ['pull', 'push'], want: 'repository:lab/img:pull,push' },
    { repo: 'lab/img', actions: ['push', 'pull'], want: 'repository:lab/img:pull,push' },
    { repo: 'lab/img', actions: ['push', 'pull', 'push'], want: 'repository:lab/img:pull,push' },
    { repo: 'a', actions: ['delete', 'push', 'pull'], want: 'repository:a:pull,push,delete' },
    { repo: 'a', actions: ['*', 'pull'], want: 'repository:a:pull,*' },
    { repo: 'library/alpine', actions: [], want: 'repository:library/alpine:' },
  ];
  for (const c of cases) {
    test(`${c.repo} ${JSON.stringify(c.actions)}`, () => {
      assert.equal(repositoryScope(c.repo, c.actions), c.want);
    });
  }
});

test('catalogScope', () => {
  assert.equal(catalogScope(), 'registry:catalog:*');
});

describe('parseScope', () => {
  const cases: Array<{ input: string; want: Scope | undefined }> = [
    { input: 'repository:lab/img:pull', want: { type: 'repository', name: 'lab/img', actions: ['pull'] } },
    {
      input: 'repository:lab/img:push,pull',
      want: { type: 'repository', name: 'lab/img', actions: ['pull', 'push'] },
    },
    { input: 'registry:catalog:*', want: { type: 'registry', name: 'catalog', actions: ['*'] } },
    {
      input: 'repository:localhost:5000/a/b:pull',
      want: { type: 'repository', name: 'localhost:5000/a/b', actions: ['pull'] },
    },
    {
      input: 'repository(plugin):vieux/sshfs:pull',
      want: { type: 'repository(plugin)', name: 'vieux/sshfs', actions: ['pull'] },
    },
    { input: 'repository:a:', want: { type: 'repository', name: 'a', actions: [] } },
    { input: 'repository:a:pull,,pull', want: { type: 'repository', name: 'a', actions: ['pull'] } },
    { input: '', want: undefined },
    { input: 'repository', want: undefined },
    { input: 'repository:a', want: undefined },
    { input: ':a:pull', want: undefined },
    { input: 'repository::pull', want: undefined },
    { input: 'repository:a:pull repository:b:pull', want: undefined },
  ];
  for (const c of cases) {
    test(JSON.stringify(c.input), () => {
      assert.deepEqual(parseScope(c.input), c.want);
    });
  }

  test('formatScope inverts parseScope', () => {
    for (const s of ['repository:lab/img:pull,push', 'registry:catalog:*', 'repository:h:5000/x:pull']) {
      const parsed = parseScope(s);
      assert.ok(parsed);
      assert.equal(formatScope(parsed), s);
    }
  });
});

describe('mergeScopes', () => {
  const cases: Array<{ name: string; a: string[]; b: string[]; want: string[] }> = [
    { name: 'both empty', a: [], b: [], want: [] },
    { name: 'one side empty', a: ['repository:x:pull'], b: [], want: ['repository:x:pull'] },
    {
      name: 'exact duplicate',
      a: ['repository:x:pull'],
      b: ['repository:x:pull'],
      want: ['repository:x:pull'],
    },
    {
      name: 'same resource, actions merged',
      a: ['repository:x:pull'],
      b: ['repository:x:push'],
      want: ['repository:x:pull,push'],
    },
    {
      name: 'merged actions are ordered pull, push, then the rest',
      a: ['repository:x:delete,push'],
      b: ['repository:x:pull'],
      want: ['repository:x:pull,push,delete'],
    },
    {
      name: 'distinct resources keep first-seen order',
      a: ['repository:b:pull', 'repository:a:pull'],
      b: ['registry:catalog:*', 'repository:b:push'],
      want: ['repository:b:pull,push', 'repository:a:pull', 'registry:catalog:*'],
    },
    {
      name: 'cross-repo mount: pull on the source, push+pull on the target',
      a: ['repository:dst:pull,push'],
      b: ['repository:src:pull'],
      want: ['repository:dst:pull,push', 'repository:src:pull'],
    },
    {
      name: 'space-separated scopes in one entry are split',
      a: ['repository:a:pull repository:b:pull'],
      b: ['repository:b:push'],
      want: ['repository:a:pull', 'repository:b:pull,push'],
    },
    {
      name: 'same name, different type stays separate',
      a: ['repository:catalog:pull'],
      b: ['registry:catalog:*'],
      want: ['repository:catalog:pull', 'registry:catalog:*'],
    },
    {
      name: 'resource names with a port',
      a: ['repository:localhost:5000/a:pull'],
      b: ['repository:localhost:5000/a:push'],
      want: ['repository:localhost:5000/a:pull,push'],
    },
    {
      name: 'non-scope strings are kept verbatim, once',
      a: ['weird', 'repository:x:pull'],
      b: ['weird'],
      want: ['weird', 'repository:x:pull'],
    },
    {
      name: 'blank entries are dropped',
      a: ['', '  '],
      b: [' repository:x:pull '],
      want: ['repository:x:pull'],
    },
  ];
  for (const c of cases) {
    test(c.name, () => {
      assert.deepEqual(mergeScopes(c.a, c.b), c.want);
    });
  }

  test('does not change its inputs', () => {
    const a = ['repository:x:push'];
    const b = ['repository:x:pull'];
    mergeScopes(a, b);
    assert.deepEqual(a, ['repository:x:push']);
    assert.deepEqual(b, ['repository:x:pull']);
  });
});
