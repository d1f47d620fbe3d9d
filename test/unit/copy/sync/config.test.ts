// The sync file's reader: the example read as written, and every kind of mistake a
// UsageError (exit 2) whose one line names the file, the line, the entry and the key.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseSyncConfig, type SyncConfig } from '../../../../src/copy/sync/config.js';
import { isFerryError } from '../../../../src/errors.js';

const DIGEST = `sha256:${'a'.repeat(64)}`;

const EXAMPLE = `
defaults:
  platforms: [linux/amd64, linux/arm64]
  hosts:
    docker.io: { concurrent: 3, reqPerSec: 10, quotaFloor: 20 }
sync:
  - type: repository
    source: quay.io/org/app
    target: registry.example.com/mirror/app
    tags:
      allow: ['^v\\d+\\.\\d+\\.\\d+$']
      deny: ['-rc']
      semver: '>=1.2.0 <3'
      latest: 5
  - type: registry
    source: ghcr.io/org
    target: registry.example.com/org
  - type: image
    source: docker.io/library/alpine:3.20
    target: registry.example.com/library/alpine:3.20
`;

describe('parseSyncConfig: the issue example', () => {
  const config: SyncConfig = parseSyncConfig(EXAMPLE, 'mirror.yaml');

  test('hosts: limits by registry name', () => {
    assert.deepEqual(
      [...config.hosts],
      [['docker.io', { concurrent: 3, requestsPerSecond: 10, quotaFloor: 20 }]],
    );
  });

  test('a repository entry with its tag rules and the default platforms', () => {
    const [entry] = config.entries;
    assert.equal(entry?.type, 'repository');
    assert.deepEqual(entry?.source, { registry: 'quay.io', repository: 'org/app' });
    assert.deepEqual(entry?.target, { registry: 'registry.example.com', repository: 'mirror/app' });
    assert.equal(entry?.name, 'sync[0] (quay.io/org/app)');
    assert.deepEqual(entry?.tags.allow.map(String), ['/^v\\d+\\.\\d+\\.\\d+$/']);
    assert.deepEqual(entry?.tags.deny.map(String), ['/-rc/']);
    assert.equal(entry?.tags.semver?.text, '>=1.2.0 <3');
    assert.equal(entry?.tags.latest, 5);
    assert.deepEqual(entry?.platforms, [
      { os: 'linux', architecture: 'amd64' },
      { os: 'linux', architecture: 'arm64' },
    ]);
  });

  test('a registry entry: host and prefix', () => {
    const entry = config.entries[1];
    assert.equal(entry?.type, 'registry');
    assert.deepEqual(entry?.source, { registry: 'ghcr.io', repository: 'org' });
    assert.deepEqual(entry?.target, { registry: 'registry.example.com', repository: 'org' });
  });

  test('an image entry: references', () => {
    const entry = config.entries[2];
    assert.equal(entry?.type, 'image');
    assert.deepEqual(entry?.source, { registry: 'docker.io', repository: 'library/alpine', tag: '3.20' });
    assert.deepEqual(entry?.target, {
      registry: 'registry.example.com',
      repository: 'library/alpine',
      tag: '3.20',
    });
  });
});

describe('parseSyncConfig: shorthands', () => {
  test('a registry entry with a bare host takes every repository; an entry may set its own platforms', () => {
    const config = parseSyncConfig(
      'sync:\n  - type: registry\n    source: localhost:5000\n    target: registry.example.com/all\n    platforms: linux/arm64\n',
      'f',
    );
    assert.deepEqual(config.entries[0]?.source, { registry: 'localhost:5000', repository: '' });
    assert.deepEqual(config.entries[0]?.platforms, [{ os: 'linux', architecture: 'arm64' }]);
  });

  test("an image target without a tag takes the source's tag, or its digest", () => {
    const config = parseSyncConfig(
      `sync:\n  - {type: image, source: 'alpine:3.20', target: r.example.com/alpine}\n  - {type: image, source: 'alpine@${DIGEST}', target: r.example.com/alpine}\n`,
      'f',
    );
    assert.deepEqual(config.entries[0]?.target, {
      registry: 'r.example.com',
      repository: 'alpine',
      tag: '3.20',
    });
    assert.deepEqual(config.entries[1]?.target, {
      registry: 'r.example.com',
      repository: 'alpine',
      digest: DIGEST,
    });
  });

  test('a single allow/deny string, version: 1, referrers: false and docker:// are accepted', () => {
    const config = parseSyncConfig(
      "version: 1\ndefaults:\n  referrers: false\nsync:\n  - {type: repository, source: 'docker://q.io/a', target: r.io/a, tags: {allow: '^v', deny: rc}}\n",
      'f',
    );
    assert.deepEqual(config.entries[0]?.tags.allow.map(String), ['/^v/']);
    assert.deepEqual(config.entries[0]?.source, { registry: 'q.io', repository: 'a' });
    assert.equal(config.entries[0]?.referrers, false);
  });

  test('referrers: the default holds for every entry unless the entry says otherwise', () => {
    const config = parseSyncConfig(
      'defaults:\n  referrers: true\nsync:\n  - {type: image, source: q.io/a:1, target: r.io/a}\n  - {type: image, source: q.io/b:1, target: r.io/b, referrers: false}\n',
      'f',
    );
    assert.deepEqual(
      config.entries.map((e) => e.referrers),
      [true, false],
    );
  });
});

describe('parseSyncConfig: mistakes', () => {
  const entry = (body: string) =>
    `sync:\n  - type: repository\n    source: q.io/org/app\n    target: r.io/app\n${body}`;
  const cases: [string, string, RegExp][] = [
    ['YAML syntax', 'sync:\n  - type: image\n    source: a\n   target: b\n', /^f line 4: not valid YAML: /],
    ['empty file', '', /^f: the file is empty/],
    ['no sync list', 'defaults: {}\n', /^f line 1: a sync: list of what to mirror is missing$/],
    ['sync not a list', 'sync: {a: 1}\n', /^f line 1: sync: must be a list of entries/],
    ['unknown top key', 'sink: []\n', /^f line 1: sink: unknown key \(known here: version, defaults, sync\)/],
    ['creds', 'creds: []\nsync: []\n', /^f line 1: creds: not supported: ferry reads credentials/],
    ['version 2', 'version: 2\nsync: []\n', /^f line 1: version: only version 1/],
    [
      'referrers not a boolean',
      entry('    referrers: yes please\n'),
      /^f line 5: sync\[0\] \(q.io\/org\/app\): referrers: must be true or false/,
    ],
    [
      'bad type',
      'sync:\n  - type: repo\n    source: a\n    target: b\n',
      /^f line 2: sync\[0\] \(a\): type: must be one of repository, registry, image, not "repo"/,
    ],
    ['missing type', 'sync:\n  - source: a\n    target: b\n', /^f line 2: sync\[0\] \(a\): type: missing/],
    [
      'missing target',
      'sync:\n  - type: image\n    source: a\n',
      /^f line 2: sync\[0\] \(a\): target: missing/,
    ],
    [
      'bad source',
      'sync:\n  - type: image\n    source: UPPER/x\n    target: b\n',
      /^f line 3: sync\[0\] \(UPPER\/x\): source: invalid reference/,
    ],
    [
      'unknown entry key',
      entry('    tag: v1\n'),
      /^f line 5: sync\[0\] \(q.io\/org\/app\): tag: unknown key/,
    ],
    [
      'bad allow',
      entry("    tags:\n      allow: ['v(']\n"),
      /^f line 6: sync\[0\] \(q.io\/org\/app\): tags.allow\[0\]: 'v\(' is not a valid regular expression/,
    ],
    [
      'bad deny',
      entry("    tags:\n      deny: [ok, '[']\n"),
      /^f line 6: sync\[0\] \(q.io\/org\/app\): tags.deny\[1\]: '\[' is not a valid/,
    ],
    [
      'bad semver',
      entry("    tags:\n      semver: '>>1'\n"),
      /^f line 6: .*tags.semver: ">>1" is not a version range/,
    ],
    [
      'bad latest',
      entry('    tags:\n      latest: 0\n'),
      /^f line 6: .*tags.latest: must be a whole number from 1 up, not 0/,
    ],
    [
      'unknown tag key',
      entry('    tags:\n      since: v1\n'),
      /^f line 6: .*tags.since: unknown key \(known here: allow, deny, semver, latest\)/,
    ],
    [
      'tags on an image',
      'sync:\n  - {type: image, source: a, target: b, tags: {latest: 1}}\n',
      /^f line 2: sync\[0\] \(a\): tags: only for type repository or registry/,
    ],
    [
      'registry without a host',
      'sync:\n  - {type: registry, source: org, target: r.io}\n',
      /^f line 2: .*source: must start with a registry host/,
    ],
    [
      'image target by digest',
      `sync:\n  - {type: image, source: a, target: 'b@${DIGEST}'}\n`,
      /target: a target names a tag/,
    ],
    [
      'bad platform',
      'defaults:\n  platforms: [linux]\nsync: [{type: image, source: a, target: b}]\n',
      /^f line 2: defaults.platforms\[0\]: invalid platform "linux"/,
    ],
    [
      'bad host limit',
      'defaults:\n  hosts:\n    docker.io: {concurrent: 0}\nsync: [{type: image, source: a, target: b}]\n',
      /^f line 3: defaults.hosts\[docker.io\].concurrent: must be a whole number from 1 up, not 0/,
    ],
    [
      'unknown host key',
      'defaults:\n  hosts:\n    docker.io: {reqConcurrent: 2}\nsync: [{type: image, source: a, target: b}]\n',
      /defaults.hosts\[docker.io\].reqConcurrent: unknown key \(known here: concurrent, reqPerSec, quotaFloor\)/,
    ],
    [
      'bad host',
      'defaults:\n  hosts:\n    http://x.io: {concurrent: 2}\nsync: [{type: image, source: a, target: b}]\n',
      /^f line 3: defaults.hosts\[http:\/\/x.io\]: invalid registry host/,
    ],
    ['duplicate key', 'sync: []\nsync: []\n', /^f line 2: not valid YAML: Map keys must be unique/],
  ];
  for (const [name, text, expected] of cases) {
    test(name, () => {
      assert.throws(
        () => parseSyncConfig(text, 'f'),
        (err: unknown) => {
          assert.ok(isFerryError(err) && err.code === 'E_USAGE', String(err));
          assert.ok(!err.message.includes('\n'), `one line: ${err.message}`);
          assert.match(err.message, expected);
          return true;
        },
      );
    });
  }
});
