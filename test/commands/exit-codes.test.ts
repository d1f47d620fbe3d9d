// The exit-code contract (docs/output.md "Exit codes", the README's table), one real case per
// documented code against real registries: 0 ok, 1 not found, 2 usage, 4 network, 5 TLS,
// 6 digest mismatch, 7 registry refusal, 8 local; 3 (auth) has its own table, for every command,
// in auth-failures.test.ts. Every failure also keeps the one-line contract:
// nothing on stdout, one "ferry: " line on stderr. (errors.test.ts covers the wording of these
// failures in more depth; this file is the table.) 10, internal, is a bug by definition and has no
// case.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type FaultProxy, startFaultProxy } from '../harness/fault-proxy.js';
import { assertFailure } from '../harness/fixtures.js';
import { generateImage } from '../harness/images.js';
import { freePort } from '../harness/ports.js';
import { type Registry, startRegistry } from '../harness/registry.js';
import { ferry } from '../harness/run-ferry.js';
import { pushImage } from '../harness/skopeo.js';
import { makeTempDir } from '../harness/tmp.js';

const REPO = 'codes/app';
const NO_HANG = { timeout: 30_000 };

describe('exit codes', () => {
  let anon: Registry;
  let basic: Registry;
  let tls: Registry;
  let noDelete: Registry;
  let proxy: FaultProxy;
  let work: string;

  before(async () => {
    [anon, basic, tls, noDelete, work] = await Promise.all([
      startRegistry('anonymous'),
      startRegistry('basic'),
      startRegistry('tls'),
      startRegistry({ deleteEnabled: false }),
      makeTempDir('exit-codes'),
    ]);
    const image = await generateImage({ tag: 'v1', seed: 'exit-codes', layers: [4096] });
    const multi = await generateImage({
      tag: 'multi',
      seed: 'exit-codes',
      layers: [64],
      platforms: ['linux/amd64', 'linux/arm64'],
    });
    await Promise.all([anon, basic, tls, noDelete].map((r) => pushImage(r, `${REPO}:v1`, image)));
    await pushImage(anon, `${REPO}:multi`, multi);
    proxy = await startFaultProxy({ upstream: anon.url });
  });
  after(async () => {
    await proxy?.close();
    await Promise.all([anon, basic, tls, noDelete].map((r) => r?.stop()));
  });

  test('0: success', async () => {
    for (const args of [
      ['ls', `${anon.host}/${REPO}`],
      ['exists', `${anon.host}/${REPO}:v1`],
      ['digest', '--json', `${anon.host}/${REPO}:v1`],
    ]) {
      const r = await ferry(args);
      assert.equal(r.code, 0, r.stderr);
      assert.notEqual(r.stdout, '');
    }
  });

  describe('1: not found', () => {
    for (const command of ['manifest', 'digest']) {
      test(`${command} of a missing tag`, async () => {
        assertFailure(await ferry([command, `${anon.host}/${REPO}:missing`]), 1, /not found/);
      });
    }
    test('exists of a missing tag: 1, and silent (absent is an answer, not an error)', async () => {
      const r = await ferry(['exists', `${anon.host}/${REPO}:missing`]);
      assert.equal(r.code, 1);
      assert.equal(r.stdout, `${anon.host}/${REPO}:missing: absent\n`);
      assert.equal(r.stderr, '');
    });
    test('ls of a missing repository', async () => {
      assertFailure(await ferry(['ls', `${anon.host}/codes/none`]), 1, /not found/);
    });
    test('digest --platform that the index does not have', async () => {
      assertFailure(
        await ferry(['digest', '--platform', 'linux/s390x', `${anon.host}/${REPO}:multi`]),
        1,
        /no image for platform linux\/s390x/,
      );
    });
  });

  describe('2: usage', () => {
    const cases: Array<[what: string, args: string[], pattern: RegExp]> = [
      ['an unknown flag', ['ls', '--frob', 'a/b'], /unknown option '--frob'/],
      ['a bad flag value', ['ls', '--limit', 'x', 'a/b'], /--limit/],
      ['a bad reference', ['manifest', 'Foo/Bar:x'], /invalid reference/],
      ['a bad template', ['ls', '--format', '{{.Nope}}', 'a/b'], /unknown field \.Nope/],
      ['a bad filter', ['ls', '--filter', 'colour=red', 'a/b'], /unknown --filter key/],
      [
        '--json with --format',
        ['exists', '--json', '--format', '{{.Exists}}', 'a:b'],
        /cannot be used together/,
      ],
    ];
    for (const [what, args, pattern] of cases) {
      test(what, async () => {
        assertFailure(await ferry(args), 2, pattern);
      });
    }
  });

  test('4: network (registry down)', NO_HANG, async () => {
    const port = await freePort();
    assertFailure(
      await ferry(['--retries', '0', 'exists', `127.0.0.1:${port}/${REPO}:v1`]),
      4,
      /connection refused/,
    );
  });

  test('5: TLS (a CA ferry does not trust)', NO_HANG, async () => {
    assertFailure(await ferry(['digest', `${tls.host}/${REPO}:v1`]), 5, /certificate|TLS/);
  });

  test('6: digest mismatch (a byte flipped in a blob during pull)', NO_HANG, async () => {
    const rule = proxy.addRule({ method: 'GET', path: /\/blobs\/sha256:/, action: { kind: 'flip' } });
    try {
      const r = await ferry([
        '-q',
        '--retries',
        '0',
        'pull',
        `${proxy.host}/${REPO}:v1`,
        join(work, 'flipped.tar'),
      ]);
      assertFailure(r, 6, /digest mismatch/);
      assert.ok(rule.hits >= 1);
    } finally {
      proxy.clearRules();
    }
  });

  test('7: the registry refuses (delete where deletes are disabled: 405)', async () => {
    assertFailure(await ferry(['delete', `${noDelete.host}/${REPO}:v1`]), 7, /refuses deletes/);
  });

  test('8: local (the output path cannot be written)', async () => {
    const file = join(work, 'a-file');
    await writeFile(file, 'not a directory');
    assertFailure(
      await ferry(['-q', 'pull', `${anon.host}/${REPO}:v1`, join(file, 'out.tar')]),
      8,
      /out\.tar|a-file/,
    );
  });
});
