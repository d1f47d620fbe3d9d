import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { RefError } from '../../../src/errors.js';
import {
  dockerConfigKey,
  familiarName,
  formatReference,
  formatRepository,
  isDockerHub,
  normalizeRegistry,
  parseReference,
  parseRepository,
  type Reference,
  registryEndpoint,
  splitHostPort,
} from '../../../src/ref/index.js';
import { referenceRegExp } from '../../../src/ref/parse.js';

const D = 'sha256:dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9c';

describe('familiar, full and ambiguous spellings agree (normalize_test.go TestParseRepositoryInfo)', () => {
  // [repository, registry, familiar, full, other spellings]
  const cases: Array<[string, string, string, string, string[]]> = [
    ['fooo/bar', 'docker.io', 'fooo/bar', 'docker.io/fooo/bar', ['index.docker.io/fooo/bar']],
    [
      'library/ubuntu',
      'docker.io',
      'ubuntu',
      'docker.io/library/ubuntu',
      ['library/ubuntu', 'docker.io/ubuntu'],
    ],
    ['nonlibrary/ubuntu', 'docker.io', 'nonlibrary/ubuntu', 'docker.io/nonlibrary/ubuntu', []],
    ['other/library', 'docker.io', 'other/library', 'docker.io/other/library', []],
    [
      'private/moonbase',
      '127.0.0.1:8000',
      '127.0.0.1:8000/private/moonbase',
      '127.0.0.1:8000/private/moonbase',
      [],
    ],
    ['privatebase', '127.0.0.1:8000', '127.0.0.1:8000/privatebase', '127.0.0.1:8000/privatebase', []],
    ['private/moonbase', 'example.com', 'example.com/private/moonbase', 'example.com/private/moonbase', []],
    ['privatebase', 'example.com', 'example.com/privatebase', 'example.com/privatebase', []],
    [
      'private/moonbase',
      'example.com:8000',
      'example.com:8000/private/moonbase',
      'example.com:8000/private/moonbase',
      [],
    ],
    [
      'privatebasee',
      'example.com:8000',
      'example.com:8000/privatebasee',
      'example.com:8000/privatebasee',
      [],
    ],
    [
      'library/ubuntu-12.04-base',
      'docker.io',
      'ubuntu-12.04-base',
      'docker.io/library/ubuntu-12.04-base',
      ['index.docker.io/library/ubuntu-12.04-base', 'registry-1.docker.io/ubuntu-12.04-base'],
    ],
    ['library/foo', 'docker.io', 'foo', 'docker.io/library/foo', ['docker.io/foo']],
    ['library/foo/bar', 'docker.io', 'library/foo/bar', 'docker.io/library/foo/bar', []],
    ['store/foo/bar', 'docker.io', 'store/foo/bar', 'docker.io/store/foo/bar', []],
    ['foo', 'localhost', 'localhost/foo', 'localhost/foo', ['LOCALHOST/foo']],
    ['x', '[::1]:5000', '[::1]:5000/x', '[::1]:5000/x', []],
  ];
  for (const [repository, registry, familiar, full, others] of cases) {
    test(full, () => {
      for (const spelling of [familiar, full, ...others]) {
        const ref = parseRepository(spelling);
        assert.deepEqual(ref, { registry, repository }, spelling);
        assert.equal(familiarName(ref), familiar, spelling);
        assert.equal(formatRepository(ref), full, spelling);
        assert.equal(formatReference(ref), full, spelling);
      }
    });
  }
});

describe('formatReference and familiarName', () => {
  // [input, canonical, familiar]
  const cases: Array<[string, string, string]> = [
    ['alpine', 'docker.io/library/alpine:latest', 'alpine:latest'],
    ['alpine:3', 'docker.io/library/alpine:3', 'alpine:3'],
    [`alpine@${D}`, `docker.io/library/alpine@${D}`, `alpine@${D}`],
    [`busybox:latest@${D}`, `docker.io/library/busybox:latest@${D}`, `busybox:latest@${D}`],
    ['bitnami/redis:7', 'docker.io/bitnami/redis:7', 'bitnami/redis:7'],
    ['index.docker.io/library/foo/bar', 'docker.io/library/foo/bar:latest', 'library/foo/bar:latest'],
    [`h:5000/a/b@${D}`, `h:5000/a/b@${D}`, `h:5000/a/b@${D}`],
    [`h.io/a:t@${D}`, `h.io/a:t@${D}`, `h.io/a:t@${D}`],
    ['[::1]:5000/x:y', '[::1]:5000/x:y', '[::1]:5000/x:y'],
    // docker's FamiliarString would print 'a.b/c', which reads back as host a.b
    ['docker.io/a.b/c', 'docker.io/a.b/c:latest', 'docker.io/a.b/c:latest'],
    ['docker.io/library/a.b', 'docker.io/library/a.b:latest', 'a.b:latest'],
    ['GHCR.io/Owner/app', '', ''], // refused: upper case in the path
  ];
  for (const [input, canonical, familiar] of cases) {
    test(input, () => {
      if (canonical === '') {
        assert.throws(() => parseReference(input), RefError);
        return;
      }
      const ref = parseReference(input);
      assert.equal(formatReference(ref), canonical);
      assert.equal(familiarName(ref), familiar);
      assert.deepEqual(parseReference(canonical), ref);
      assert.deepEqual(parseReference(familiar), ref);
    });
  }

  test('format is plain concatenation, whatever the fields', () => {
    assert.equal(formatReference({ registry: 'r.io', repository: 'a' }), 'r.io/a');
    assert.equal(formatReference({ registry: 'r.io', repository: 'a', digest: D }), `r.io/a@${D}`);
    assert.equal(
      familiarName({ registry: 'registry-1.docker.io', repository: 'library/a', tag: 't' }),
      'a:t',
    );
  });
});

describe('registries', () => {
  test('normalizeRegistry', () => {
    const cases: Array<[string, string]> = [
      ['docker.io', 'docker.io'],
      ['index.docker.io', 'docker.io'],
      ['registry-1.docker.io', 'docker.io'],
      ['Registry-1.Docker.IO', 'docker.io'],
      ['docker.io:443', 'docker.io:443'],
      ['GHCR.IO', 'ghcr.io'],
      ['[FC00::1]:5000', '[fc00::1]:5000'],
      ['localhost:5000', 'localhost:5000'],
    ];
    for (const [input, want] of cases) assert.equal(normalizeRegistry(input), want, input);
  });

  test('isDockerHub', () => {
    for (const r of ['docker.io', 'index.docker.io', 'registry-1.docker.io', 'DOCKER.IO'])
      assert.ok(isDockerHub(r), r);
    for (const r of ['ghcr.io', 'docker.io:5000', 'mirror.docker.io', 'localhost', 'quay.io']) {
      assert.ok(!isDockerHub(r), r);
    }
  });

  test('registryEndpoint', () => {
    const cases: Array<[string, string]> = [
      ['docker.io', 'registry-1.docker.io'],
      ['index.docker.io', 'registry-1.docker.io'],
      ['registry-1.docker.io', 'registry-1.docker.io'],
      ['ghcr.io', 'ghcr.io'],
      ['127.0.0.1:5000', '127.0.0.1:5000'],
      ['[::1]:5000', '[::1]:5000'],
      ['localhost:5000', 'localhost:5000'],
    ];
    for (const [input, want] of cases) assert.equal(registryEndpoint(input), want, input);
    assert.equal(registryEndpoint(parseReference('alpine').registry), 'registry-1.docker.io');
  });

  test('dockerConfigKey', () => {
    assert.equal(dockerConfigKey('docker.io'), 'https://index.docker.io/v1/');
    assert.equal(dockerConfigKey('registry-1.docker.io'), 'https://index.docker.io/v1/');
    assert.equal(dockerConfigKey('ghcr.io'), 'ghcr.io');
    assert.equal(dockerConfigKey('localhost:5000'), 'localhost:5000');
  });

  test('splitHostPort', () => {
    assert.deepEqual(splitHostPort('h'), { host: 'h' });
    assert.deepEqual(splitHostPort('h.io:5000'), { host: 'h.io', port: '5000' });
    assert.deepEqual(splitHostPort('[::1]'), { host: '[::1]' });
    assert.deepEqual(splitHostPort('[::1]:5000'), { host: '[::1]', port: '5000' });
    assert.deepEqual(splitHostPort('[2001:db8::1]'), { host: '[2001:db8::1]' });
  });
});

describe('properties', () => {
  const component = fc.stringMatching(/^[a-z0-9]{1,6}(?:(?:[._]|__|-{1,3})[a-z0-9]{1,6}){0,2}$/);
  const label = fc.stringMatching(/^[a-z0-9](?:[a-z0-9-]{0,8}[a-z0-9])?$/);
  const port = fc.integer({ min: 1, max: 65535 }).map((p) => `:${p}`);
  const registry = fc.oneof(
    fc.constant('docker.io'),
    fc.tuple(label, label, fc.option(port, { nil: '' })).map(([a, b, p]) => `${a}.${b}${p}`),
    fc.tuple(label, port).map(([a, p]) => `${a}${p}`),
    fc.option(port, { nil: '' }).map((p) => `localhost${p}`),
    fc.option(port, { nil: '' }).map((p) => `[::1]${p}`),
  );
  const tag = fc.stringMatching(/^[\w][\w.-]{0,20}$/);
  const digest = fc.oneof(
    fc.stringMatching(/^[a-f0-9]{64}$/).map((h) => `sha256:${h}`),
    fc.stringMatching(/^[a-f0-9]{128}$/).map((h) => `sha512:${h}`),
  );
  const reference = fc
    .record({
      registry,
      components: fc.array(component, { minLength: 1, maxLength: 4 }),
      tag: fc.option(tag, { nil: undefined }),
      digest: fc.option(digest, { nil: undefined }),
    })
    .map(({ registry, components, tag, digest }) => {
      let repository = components.join('/');
      if (registry === 'docker.io' && components.length === 1) repository = `library/${repository}`;
      const ref: Reference = { registry, repository };
      if (tag !== undefined) ref.tag = tag;
      else if (digest === undefined) ref.tag = 'latest';
      if (digest !== undefined) ref.digest = digest;
      return ref;
    })
    .filter((ref) => ref.repository.length <= 255);

  test('parse(format(ref)) and parse(familiar(ref)) give ref back', () => {
    fc.assert(
      fc.property(reference, (ref) => {
        assert.deepEqual(parseReference(formatReference(ref)), ref);
        assert.deepEqual(parseReference(familiarName(ref)), ref);
      }),
      { numRuns: 500 },
    );
  });

  test('any string either parses to something the upstream grammar accepts or throws RefError', () => {
    const alphabet = fc.constantFrom(...'aB0:/@._-[]fe1 '.split(''));
    const text = fc.oneof(fc.string(), fc.string({ unit: alphabet, maxLength: 30 }));
    fc.assert(
      fc.property(text, (input) => {
        let ref: Reference;
        try {
          ref = parseReference(input);
        } catch (err) {
          assert.ok(err instanceof RefError, String(err));
          return;
        }
        assert.match(formatReference(ref), referenceRegExp);
        assert.deepEqual(parseReference(formatReference(ref)), ref);
      }),
      { numRuns: 2000 },
    );
  });
});
