import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { RefError } from '../../../src/errors.js';
import {
  familiarName,
  formatReference,
  parseReference,
  parseRegistryHost,
  parseRepository,
  type Reference,
} from '../../../src/ref/index.js';
import {
  digestRegExp,
  domainRegExp,
  pathComponentRegExp,
  referenceRegExp,
  remoteNameRegExp,
  tagRegExp,
} from '../../../src/ref/parse.js';

const hex64 = 'ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff';
const D = `sha256:${hex64}`;
const D2 = 'sha256:dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9c';
const D512 = `sha512:${'f'.repeat(128)}`;
const imageId = '1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a';

/** Asserts `fn` throws a one-line RefError (code E_REF) and returns it. */
function assertRefError(fn: () => unknown, label: string): RefError {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof RefError, `${label}: expected RefError, got ${String(caught)}`);
  assert.equal(caught.code, 'E_REF');
  assert.equal(caught.exitCode, 2);
  assert.ok(!caught.message.includes('\n'), `${label}: message must be one line: ${caught.message}`);
  return caught;
}

const hub = (repository: string, extra: Partial<Reference> = {}): Reference => ({
  registry: 'docker.io',
  repository,
  ...extra,
});
const at = (registry: string, repository: string, extra: Partial<Reference> = {}): Reference => ({
  registry,
  repository,
  ...extra,
});
const latest = { tag: 'latest' };

// [input, expected]
const valid: Array<[string, Reference]> = [
  // Docker Hub defaults: docker.io, library/, latest
  ['alpine', hub('library/alpine', latest)],
  ['alpine:3.19', hub('library/alpine', { tag: '3.19' })],
  [`alpine@${D}`, hub('library/alpine', { digest: D })],
  [`alpine:3.19@${D}`, hub('library/alpine', { tag: '3.19', digest: D })],
  ['library/alpine', hub('library/alpine', latest)],
  ['docker.io/alpine', hub('library/alpine', latest)],
  ['docker.io/library/alpine:edge', hub('library/alpine', { tag: 'edge' })],
  ['index.docker.io/library/alpine', hub('library/alpine', latest)],
  ['index.docker.io/alpine', hub('library/alpine', latest)],
  ['index.docker.io/docker/docker', hub('docker/docker', latest)],
  ['registry-1.docker.io/alpine:3', hub('library/alpine', { tag: '3' })],
  ['Docker.IO/library/alpine', hub('library/alpine', latest)],
  ['bitnami/redis', hub('bitnami/redis', latest)],
  ['docker/docker', hub('docker/docker', latest)],
  ['library/foo/bar', hub('library/foo/bar', latest)],
  ['docker.io/library/foo/bar', hub('library/foo/bar', latest)],
  ['store/foo/bar', hub('store/foo/bar', latest)],
  ['other/library', hub('other/library', latest)],
  ['ubuntu-12.04-base', hub('library/ubuntu-12.04-base', latest)],
  [`busybox:latest@${D2}`, hub('library/busybox', { tag: 'latest', digest: D2 })],
  [`redis@${D2}`, hub('library/redis', { digest: D2 })],
  [`dmcgowan/myapp@${D2}`, hub('dmcgowan/myapp', { digest: D2 })],
  // hex-looking names: only a bare 64-hex string is an image ID
  [`docker.io/${imageId}`, hub(`library/${imageId}`, latest)],
  [`${imageId}:tag`, hub(`library/${imageId}`, { tag: 'tag' })],
  [imageId.slice(0, 63), hub(`library/${imageId.slice(0, 63)}`, latest)],
  ['dbcc1', hub('library/dbcc1', latest)],
  [
    'thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev',
    hub('library/thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev', latest),
  ],
  // path component separators
  ['docker-rules/docker', hub('docker-rules/docker', latest)],
  ['docker---rules/docker', hub('docker---rules/docker', latest)],
  ['dock__er/docker', hub('dock__er/docker', latest)],
  ['d/docker', hub('d/docker', latest)],
  ['jess/t', hub('jess/t', latest)],
  ['test_com/foo', hub('test_com/foo', latest)],
  ['0/1', hub('0/1', latest)],
  ['a', hub('library/a', latest)],
  ['foo/a.b_c__d-e--f', hub('foo/a.b_c__d-e--f', latest)],
  // upstream quirk kept: a single element with a dot is a Docker Hub name, ':digits' is a tag
  ['foo:5000', hub('library/foo', { tag: '5000' })],
  ['foo_bar.com:8080', hub('library/foo_bar.com', { tag: '8080' })],
  ['foo/foo_bar.com:8080', hub('foo/foo_bar.com', { tag: '8080' })],
  ['192.168.1.1', hub('library/192.168.1.1', latest)],
  ['192.168.1.1:5000', hub('library/192.168.1.1', { tag: '5000' })],
  // hosts
  ['test.com/foo', at('test.com', 'foo', latest)],
  ['test.com:8080/foo', at('test.com:8080', 'foo', latest)],
  ['test-com:8080/foo', at('test-com:8080', 'foo', latest)],
  ['test:5000/repo', at('test:5000', 'repo', latest)],
  ['test:5000/repo:tag', at('test:5000', 'repo', { tag: 'tag' })],
  [`test:5000/repo@${D}`, at('test:5000', 'repo', { digest: D })],
  [`test:5000/repo:tag@${D}`, at('test:5000', 'repo', { tag: 'tag', digest: D })],
  ['example.com/alpine', at('example.com', 'alpine', latest)],
  ['example.com/library/alpine', at('example.com', 'library/alpine', latest)],
  ['xn--n3h.com/myimage:xn--n3h.com', at('xn--n3h.com', 'myimage', { tag: 'xn--n3h.com' })],
  [
    `xn--7o8h.com/myimage:xn--7o8h.com@${D512}`,
    at('xn--7o8h.com', 'myimage', { tag: 'xn--7o8h.com', digest: D512 }),
  ],
  [
    'sub-dom1.foo.com/bar/baz/quux:some-long-tag',
    at('sub-dom1.foo.com', 'bar/baz/quux', { tag: 'some-long-tag' }),
  ],
  [
    'b.gcr.io/test.example.com/my-app:test.example.com',
    at('b.gcr.io', 'test.example.com/my-app', { tag: 'test.example.com' }),
  ],
  ['h.io/a/b/c/d/e/f', at('h.io', 'a/b/c/d/e/f', latest)],
  [
    'my-registry.local:5000/team/app:2024.01.01',
    at('my-registry.local:5000', 'team/app', { tag: '2024.01.01' }),
  ],
  ['GHCR.IO/owner/app', at('ghcr.io', 'owner/app', latest)],
  ['192.168.1.1/repo', at('192.168.1.1', 'repo', latest)],
  ['192.168.1.1:5000/repo:5050', at('192.168.1.1:5000', 'repo', { tag: '5050' })],
  ['127.0.0.1:5000/library/debian', at('127.0.0.1:5000', 'library/debian', latest)],
  ['1.2.3.4:1/a', at('1.2.3.4:1', 'a', latest)],
  ['h:65535/a', at('h:65535', 'a', latest)],
  ['localhost/foo', at('localhost', 'foo', latest)],
  ['localhost:5000/foo/bar:v1', at('localhost:5000', 'foo/bar', { tag: 'v1' })],
  ['LocalHost:5000/foo', at('localhost:5000', 'foo', latest)],
  ['localhost.localdomain/a', at('localhost.localdomain', 'a', latest)],
  // IPv6
  ['[2001:db8::1]/repo', at('[2001:db8::1]', 'repo', latest)],
  ['[2001:db8:1:2:3:4:5:6]/repo:tag', at('[2001:db8:1:2:3:4:5:6]', 'repo', { tag: 'tag' })],
  ['[2001:db8::1]:5000/repo', at('[2001:db8::1]:5000', 'repo', latest)],
  [`[2001:db8::1]:5000/repo:tag@${D}`, at('[2001:db8::1]:5000', 'repo', { tag: 'tag', digest: D })],
  ['[2001:db8::]:5000/repo', at('[2001:db8::]:5000', 'repo', latest)],
  ['[::1]:5000/repo', at('[::1]:5000', 'repo', latest)],
  ['[FC00::1]:5000/docker', at('[fc00::1]:5000', 'docker', latest)],
  // tags
  ['lowercase:Uppercase', hub('library/lowercase', { tag: 'Uppercase' })],
  ['a:_tag', hub('library/a', { tag: '_tag' })],
  ['alpine:1.0-rc.1_x', hub('library/alpine', { tag: '1.0-rc.1_x' })],
  ['alpine:latest', hub('library/alpine', latest)],
  [`alpine:${'t'.repeat(128)}`, hub('library/alpine', { tag: 't'.repeat(128) })],
  [`x.y/z@${D512}`, at('x.y', 'z', { digest: D512 })],
  // length: the repository path alone is at most 255 (distribution/reference v0.6.0), the host not counted
  [`example.com/${'a'.repeat(243)}`, at('example.com', 'a'.repeat(243), latest)],
  [`${'a/'.repeat(118)}a`, hub(`${'a/'.repeat(118)}a`, latest)],
  [`example.com/${'a'.repeat(255)}`, at('example.com', 'a'.repeat(255), latest)],
  [`${'a/'.repeat(127)}a:x`, hub(`${'a/'.repeat(127)}a`, { tag: 'x' })],
  [`${'a/'.repeat(127)}a`, hub(`${'a/'.repeat(127)}a`, latest)],
  [`docker.io/${'a/'.repeat(127)}a`, hub(`${'a/'.repeat(127)}a`, latest)],
  [
    `${'h'.repeat(60)}.example.com:5000/${'a'.repeat(255)}`,
    at(`${'h'.repeat(60)}.example.com:5000`, 'a'.repeat(255), latest),
  ],
  [`library/${'a'.repeat(247)}`, hub(`library/${'a'.repeat(247)}`, latest)],
  [`${'a'.repeat(247)}`, hub(`library/${'a'.repeat(247)}`, latest)],
];

const tooLong = 'this_is_not_a_valid_namespace_because_its_lenth_is_greater_than_255_';

// [input, what is wrong] (the description is for the reader; tests assert on the error code)
const invalid: Array<[string, string]> = [
  ['', 'empty'],
  [' ', 'whitespace only'],
  [' alpine', 'leading space'],
  ['alpine ', 'trailing space'],
  ['alp ine', 'inner space'],
  ['alpine\n', 'newline'],
  ['alpine\t:3', 'tab'],
  [':justtag', 'no name'],
  [`@${D}`, 'digest without a name'],
  [':', 'lone colon'],
  ['@', 'lone at'],
  ['alpine:', "trailing ':'"],
  ['alpine@', "trailing '@'"],
  [`alpine:@${D}`, 'empty tag before digest'],
  ['alpine:tag@', 'empty digest after tag'],
  ['https://github.com/docker/docker', 'URL'],
  ['http://localhost:5000/foo', 'http URL'],
  ['docker://alpine', 'transport prefix'],
  ['docker/Docker', 'upper case in path'],
  ['docker.io/docker/Docker', 'upper case in path after host'],
  ['Uppercase:tag', 'upper case single element'],
  ['Foo/bar', 'upper-case first element that is no host once lower-cased'],
  ['DOCKER/docker', 'upper-case first element'],
  ['test:5000/Uppercase/lowercase:tag', 'upper case after host'],
  ['-docker', 'leading dash'],
  ['-docker/docker', 'leading dash in namespace'],
  ['docker-/docker', 'trailing dash in namespace'],
  ['-docker-/docker', 'dashes around namespace'],
  ['-docker.io/docker/docker', 'host starting with a dash'],
  ['docker///docker', 'triple slash'],
  ['docker.io/docker///docker', 'triple slash after host'],
  ['a//b', 'double slash'],
  ['docker/', 'trailing slash'],
  ['/docker', 'leading slash'],
  ['ghcr.io/', 'host with empty path'],
  ['____/____', 'underscores only'],
  ['_docker/_docker', 'leading underscore'],
  ['dock..er/docker', 'double dot'],
  ['dock_.er/docker', 'underscore then dot'],
  ['dock-.er/docker', 'dash then dot'],
  ['dock___er/docker', 'three underscores'],
  ['aa/asdf$$^/aa', 'punctuation'],
  ['alpine!', 'bang'],
  ['ünïcode/a', 'non-ASCII'],
  ['a/b:tag/c', "':' inside the path"],
  ['foo:bar:baz', 'two colons'],
  ['[fc00::1]', 'IPv6 host only'],
  ['[fc00::1]:5000', 'IPv6 host and port only'],
  ['[2001:db8::1]:tag', 'IPv6 host with a tag'],
  ['fc00::1:5000/debian', 'IPv6 without brackets'],
  ['[fe80::1%eth0]:5000/debian', 'IPv6 zone'],
  ['[2001:db8:3:4::192.0.2.33]:5000/debian', 'IPv4-mapped IPv6'],
  ['[fe80::1%@invalidzone]:5000/repo', 'IPv6 zone with @'],
  [imageId, 'bare 64-hex image ID'],
  ['localhost', 'host without repository'],
  ['localhost:5000', 'host and port without repository'],
  ['h:0/a', 'port 0'],
  ['h:65536/a', 'port too large'],
  ['h:/a', 'empty port'],
  ['h.io:port/a', 'non-numeric port'],
  ['foo_bar.com/x', 'underscore in host'],
  ['h-.io/a', 'label ending in a dash'],
  ['h..io/a', 'empty label'],
  ['example.com./a', 'trailing dot in host'],
  ['user@host.io/a', "'@' before the host"],
  ['repo@sha256:ffffffffffffffffffffffffffffffffff', 'short sha256'],
  [`validname@invaliddigest:${hex64}`, 'unknown algorithm'],
  [`x@md5:${'f'.repeat(32)}`, 'unsupported algorithm'],
  ['x@sha256:12', 'sha256 too short'],
  [`x@sha256:${hex64.toUpperCase()}`, 'upper-case sha256 hex'],
  [`x@sha256:${hex64}f`, 'sha256 too long'],
  [`x@sha512:${hex64}`, 'sha512 too short'],
  [`x@sha256:${'g'.repeat(64)}`, 'non-hex'],
  ['x@sha256', 'digest without encoded part'],
  [`x@@${D}`, "double '@'"],
  [`x@${D}@${D}`, 'two digests'],
  [`x:${'t'.repeat(129)}`, '129-character tag'],
  ['x:-foo', 'tag starting with a dash'],
  ['x:.foo', 'tag starting with a dot'],
  ['x:a+b', "'+' in tag"],
  [`${'a/'.repeat(128)}a:tag`, '257-character path'],
  [`example.com/${'a'.repeat(256)}`, '256-character path after a host'],
  [`${'a'.repeat(248)}`, "a 248-character official image: 256 with 'library/'"],
  [`localhost:5000/${'a/'.repeat(127)}ab`, '256-character path after localhost'],
  [`${tooLong.repeat(4)}end/docker`, 'namespace over 255'],
  [`${'a'.repeat(100000)}!`, 'adversarial 100k characters'],
];

describe('parseReference: valid', () => {
  for (const [input, want] of valid) {
    test(input.length > 80 ? `${input.slice(0, 60)}… (${input.length})` : input, () => {
      assert.deepEqual(parseReference(input), want);
    });
  }
});

describe('parseReference: invalid', () => {
  for (const [input, why] of invalid) {
    test(`${why}: ${JSON.stringify(input.length > 60 ? `${input.slice(0, 40)}…` : input)}`, () => {
      assertRefError(() => parseReference(input), why);
    });
  }
});

test('the tables hold at least 80 cases each way', () => {
  assert.ok(valid.length >= 80, `valid: ${valid.length}`);
  assert.ok(invalid.length >= 80, `invalid: ${invalid.length}`);
});

describe('parseReference: round trips', () => {
  for (const [input, want] of valid) {
    test(input.length > 80 ? `${input.slice(0, 60)}…` : input, () => {
      const full = formatReference(want);
      assert.deepEqual(parseReference(full), want, `canonical ${full}`);
      assert.deepEqual(parseReference(familiarName(want)), want, `familiar ${familiarName(want)}`);
      // the split parser and the single upstream-shaped pattern agree on the canonical form
      assert.match(full, referenceRegExp);
    });
  }
});

describe('parseReference: messages', () => {
  test('names the input and suggests the lower-case form', () => {
    const err = assertRefError(() => parseReference('docker.io/Foo/Bar:V1'), 'upper');
    assert.ok(err.message.includes("'docker.io/Foo/Bar:V1'"), err.message);
    assert.ok(err.message.includes("'docker.io/foo/bar:V1'"), err.message);
  });
  test('suggests for a Docker Hub name too', () => {
    assert.ok(assertRefError(() => parseReference('Foo/bar'), 'x').message.includes("'foo/bar'"));
    assert.ok(assertRefError(() => parseReference('Alpine:3'), 'x').message.includes("'alpine:3'"));
  });
  test('suggests the bare form for a URL', () => {
    assert.ok(
      assertRefError(() => parseReference('https://ghcr.io/a/b'), 'x').message.includes("'ghcr.io/a/b'"),
    );
  });
  test('an over-long path is measured without the host', () => {
    const err = assertRefError(() => parseReference(`example.com/${'a'.repeat(256)}`), 'long');
    assert.match(
      err.message,
      /the repository path is 256 characters, the limit is 255 \(the registry host not counted\)$/,
    );
  });
  test('a host alone carries a hint', () => {
    assert.notEqual(assertRefError(() => parseReference('localhost:5000'), 'x').hint, undefined);
  });
  test('escapes control characters and shortens huge input', () => {
    assert.ok(!assertRefError(() => parseReference('a\nb'), 'x').message.includes('\n'));
    assert.ok(assertRefError(() => parseReference(`${'a'.repeat(5000)}!`), 'x').message.length < 400);
  });
});

describe('no catastrophic backtracking', () => {
  const n = 100_000;
  const adversarial = [
    `${'a'.repeat(n)}!`,
    `${'a-'.repeat(n / 2)}!`,
    `${'a.'.repeat(n / 2)}!`,
    `${'a__'.repeat(n / 3)}!`,
    `${'a/'.repeat(n / 2)}!`,
    `${'a.a/'.repeat(n / 4)}!`,
    `${'a'.repeat(n)}:${'a'.repeat(n)}!`,
    `a@a${'.a'.repeat(n / 2)}!`,
    `[${':'.repeat(n)}!`,
    `a:${'1'.repeat(n)}!/a`,
    `a@sha256:${'f'.repeat(n)}!`,
    `${'a'.repeat(n)}.${'0'.repeat(n)}!`,
  ];
  const patterns = {
    referenceRegExp,
    domainRegExp,
    remoteNameRegExp,
    pathComponentRegExp,
    tagRegExp,
    digestRegExp,
  };
  // An exponential or quadratic pattern would not finish these; the timeout is a backstop, not a benchmark.
  for (const [name, re] of Object.entries(patterns)) {
    test(name, { timeout: 10_000 }, () => {
      for (const input of adversarial) assert.equal(re.test(input), false);
    });
  }
  test('parsers', { timeout: 10_000 }, () => {
    for (const input of adversarial) {
      assertRefError(() => parseReference(input), 'adversarial');
      assertRefError(() => parseRepository(input), 'adversarial');
      assertRefError(() => parseRegistryHost(input), 'adversarial');
    }
  });
});

describe('parseRepository', () => {
  const ok: Array<[string, Reference]> = [
    ['alpine', hub('library/alpine')],
    ['docker.io/library/alpine', hub('library/alpine')],
    ['index.docker.io/bitnami/redis', hub('bitnami/redis')],
    ['ghcr.io/owner/app', at('ghcr.io', 'owner/app')],
    ['localhost:5000/a/b/c', at('localhost:5000', 'a/b/c')],
    ['[::1]:5000/x', at('[::1]:5000', 'x')],
    ['GHCR.io/owner/app', at('ghcr.io', 'owner/app')],
    [`example.com/${'a'.repeat(255)}`, at('example.com', 'a'.repeat(255))],
    [`${'a/'.repeat(127)}a`, hub(`${'a/'.repeat(127)}a`)],
  ];
  for (const [input, want] of ok) {
    test(input, () => assert.deepEqual(parseRepository(input), want));
  }
  const bad: Array<[string, boolean]> = [
    // [input, carries a hint]
    ['alpine:3', false],
    [`alpine@${D}`, false],
    [`alpine:3@${D}`, false],
    ['ghcr.io/a/b:latest', false],
    ['localhost:5000', true],
    ['localhost', true],
    ['[::1]:5000', true],
    ['registry.example.com:5000', true],
    ['', false],
    ['Foo/bar', false],
    ['a//b', false],
    [imageId, false],
    ['https://ghcr.io/a', false],
    [`example.com/${'a'.repeat(256)}`, false],
  ];
  for (const [input, hinted] of bad) {
    test(`rejects ${JSON.stringify(input)}`, () => {
      const err = assertRefError(() => parseRepository(input), input);
      assert.equal(err.hint !== undefined, hinted, `hint: ${err.hint}`);
    });
  }
});

describe('parseRegistryHost', () => {
  const ok: Array<[string, string]> = [
    ['ghcr.io', 'ghcr.io'],
    ['docker.io', 'docker.io'],
    ['index.docker.io', 'docker.io'],
    ['registry-1.docker.io', 'docker.io'],
    ['localhost', 'localhost'],
    ['localhost:5000', 'localhost:5000'],
    ['127.0.0.1:5000', '127.0.0.1:5000'],
    ['[::1]:5000', '[::1]:5000'],
    ['[::1]', '[::1]'],
    ['GHCR.IO', 'ghcr.io'],
    ['myregistry', 'myregistry'],
    ['my-registry:443', 'my-registry:443'],
    ['https://ghcr.io', 'ghcr.io'],
    ['HTTPS://ghcr.io/', 'ghcr.io'],
    ['ghcr.io/', 'ghcr.io'],
    ['localhost:5000/', 'localhost:5000'],
  ];
  for (const [input, want] of ok) {
    test(input, () => assert.equal(parseRegistryHost(input), want));
  }
  const bad: Array<[string, boolean]> = [
    ['', false],
    ['http://localhost:5000', true],
    ['ghcr.io/owner', true],
    ['https://ghcr.io/v2/', true],
    ['docker://ghcr.io', false],
    ['::1', false],
    ['h:0', false],
    ['h:99999', false],
    ['h:', false],
    ['a b', false],
    ['/', false],
    ['https://', false],
    ['foo_bar.com', false],
    ['user@host', false],
    ['-h', false],
    ['ghcr.io//', true],
  ];
  for (const [input, hinted] of bad) {
    test(`rejects ${JSON.stringify(input)}`, () => {
      const err = assertRefError(() => parseRegistryHost(input), input);
      assert.equal(err.hint !== undefined, hinted, `hint: ${err.hint}`);
    });
  }
});
