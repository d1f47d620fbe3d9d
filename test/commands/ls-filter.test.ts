// `ls` filters against real images with known creation times and platforms (docker image ls
// --filter semantics): globs on the tag, --platform, since=/before= a tag by config `created`;
// different kinds AND together; bad filters are usage errors before any request; describing tags
// takes one token and a bounded number of requests at a time.
import assert from 'node:assert/strict';
import { Agent, createServer, request as httpRequest } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { ferryAccess, requestsDuring } from '../harness/fixtures.js';
import { generateImage } from '../harness/images.js';
import { freePort } from '../harness/ports.js';
import { type Registry, startRegistry } from '../harness/registry.js';
import { ferry } from '../harness/run-ferry.js';
import { pushImage } from '../harness/skopeo.js';

const REPO = 'lab/filter';

/** tag → how it is built. Version order (what ls prints): nodate, v1.0, v1.1, v1.2, v2.0-rc1, v2.0. */
const IMAGES: Record<string, { platforms: string[]; created: string | null }> = {
  'v1.0': { platforms: ['linux/amd64'], created: '2024-01-01T00:00:00Z' },
  'v1.1': { platforms: ['linux/amd64', 'linux/arm64'], created: '2024-02-01T00:00:00Z' },
  'v1.2': { platforms: ['linux/amd64', 'linux/arm/v7'], created: '2024-03-01T00:00:00Z' },
  'v2.0-rc1': { platforms: ['linux/amd64'], created: '2024-03-15T00:00:00Z' },
  'v2.0': { platforms: ['linux/arm64'], created: '2024-04-01T12:30:00Z' },
  nodate: { platforms: ['linux/amd64'], created: null },
};

async function seed(registry: Registry): Promise<void> {
  // One repository: one push at a time (concurrent pushes into one repository upset registry 2.8).
  for (const [tag, spec] of Object.entries(IMAGES)) {
    const image = await generateImage({ tag, seed: `filter-${tag}`, layers: [64], ...spec });
    await pushImage(registry, `${REPO}:${tag}`, image);
  }
}

/**
 * A pass-through proxy that holds each request 30 ms and records how many were in flight at
 * once, to see the describe concurrency from the registry's side.
 */
async function countingProxy(upstream: string) {
  const agent = new Agent({ keepAlive: true });
  const state = { active: 0, peak: 0, total: 0 };
  const server = createServer((req, res) => {
    state.active++;
    state.total++;
    state.peak = Math.max(state.peak, state.active);
    res.on('close', () => state.active--);
    setTimeout(() => {
      const up = httpRequest(
        `${upstream}${req.url}`,
        { method: req.method, headers: { ...req.headers, host: new URL(upstream).host }, agent },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      up.on('error', () => res.destroy());
      req.pipe(up);
    }, 30);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    host: `127.0.0.1:${port}`,
    state,
    close: () =>
      new Promise<void>((resolve) => {
        agent.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe('ferry ls filters', () => {
  let reg: Registry;
  let token: Registry;
  before(async () => {
    [reg, token] = await Promise.all([startRegistry('anonymous'), startRegistry('token')]);
    await Promise.all([seed(reg), seed(token)]);
  });
  after(() => Promise.all([reg?.stop(), token?.stop()]));

  const ls = async (...args: string[]): Promise<string[]> => {
    const r = await ferry(['ls', ...args, `${reg.host}/${REPO}`]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    return r.stdout === '' ? [] : r.stdout.replace(/\n$/, '').split('\n');
  };

  test('no filter: every tag, in version order', async () => {
    assert.deepEqual(await ls(), ['nodate', 'v1.0', 'v1.1', 'v1.2', 'v2.0-rc1', 'v2.0']);
  });

  describe('globs on the tag', () => {
    const cases: Array<[filters: string[], want: string[]]> = [
      [['v1.*'], ['v1.0', 'v1.1', 'v1.2']],
      [['reference=v2.*'], ['v2.0-rc1', 'v2.0']],
      [['*rc*'], ['v2.0-rc1']],
      [['v?.0'], ['v1.0', 'v2.0']],
      [['v1.[02]'], ['v1.0', 'v1.2']],
      [['v1.[!02]'], ['v1.1']],
      [['v1.[0-1]'], ['v1.0', 'v1.1']],
      [
        ['v1.0', 'reference=v2.0'],
        ['v1.0', 'v2.0'],
      ], // several globs: any of them
      [['v3*'], []],
      [['V1.*'], []], // case matters, as in tags
    ];
    for (const [filters, want] of cases) {
      test(filters.join(' '), async () => {
        assert.deepEqual(await ls(...filters.flatMap((f) => ['--filter', f])), want);
      });
    }

    test('a glob alone reads no manifest', async () => {
      const { value, requests } = await requestsDuring(reg, () => ls('-f', 'v1.*'));
      assert.deepEqual(value, ['v1.0', 'v1.1', 'v1.2']);
      assert.deepEqual(
        requests.filter((q) => q.path.includes('/manifests/')).map((q) => q.path),
        [],
      );
    });
  });

  describe('--platform: the tag offers every platform given', () => {
    const cases: Array<[platforms: string[], want: string[]]> = [
      [['linux/arm64'], ['v1.1', 'v2.0']],
      [['linux/arm64/v8'], ['v1.1', 'v2.0']], // the default variant, spelt out
      [['linux/amd64', 'linux/arm64'], ['v1.1']],
      [['linux/arm'], ['v1.2']], // no variant: any arm
      [['linux/arm/v7'], ['v1.2']],
      [['linux/arm/v6'], []],
      [['windows/amd64'], []],
    ];
    for (const [platforms, want] of cases) {
      test(platforms.join(' '), async () => {
        assert.deepEqual(await ls(...platforms.flatMap((p) => ['--platform', p])), want);
      });
    }
  });

  describe('since= and before= a tag, by config created (strictly)', () => {
    const cases: Array<[filters: string[], want: string[]]> = [
      [['since=v1.1'], ['v1.2', 'v2.0-rc1', 'v2.0']],
      [['before=v1.2'], ['v1.0', 'v1.1']],
      [
        ['since=v1.0', 'before=v2.0'],
        ['v1.1', 'v1.2', 'v2.0-rc1'],
      ],
      [['since=v2.0'], []],
      [['before=v1.0'], []],
      // an index counts by its newest image; a tag without created never passes
      [
        ['since=v1.2', 'v2*'],
        ['v2.0-rc1', 'v2.0'],
      ],
    ];
    for (const [filters, want] of cases) {
      test(filters.join(' '), async () => {
        assert.deepEqual(await ls(...filters.flatMap((f) => ['--filter', f])), want);
      });
    }

    test('all kinds together AND: since, a glob and a platform', async () => {
      assert.deepEqual(await ls('--filter', 'since=v1.0', '--filter', 'v*', '--platform', 'linux/amd64'), [
        'v1.1',
        'v1.2',
        'v2.0-rc1',
      ]);
    });

    test('the since= tag may be off the page and outside the globs', async () => {
      // Pages go in lexical order: after v1.2 come v2.0 and v2.0-rc1.
      const r = await ferry([
        'ls',
        '--limit',
        '2',
        '--last',
        'v1.2',
        '--filter',
        'since=v1.1',
        '--filter',
        'v2.0-*',
        `${reg.host}/${REPO}`,
      ]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, 'v2.0-rc1\n');
    });

    test('with -l --json and --format: the same selection', async () => {
      const [json, format] = await Promise.all([
        ferry(['ls', '-l', '--json', '--filter', 'before=v1.2', `${reg.host}/${REPO}`]),
        ferry([
          'ls',
          '--filter',
          'since=v1.2',
          '--format',
          '{{.Tag}} {{.Created}} {{join .Platforms ","}}',
          `${reg.host}/${REPO}`,
        ]),
      ]);
      assert.equal(json.code, 0, json.stderr);
      assert.deepEqual(
        (
          JSON.parse(json.stdout) as { tags: { tag: string; created: string; platforms: string[] }[] }
        ).tags.map((r) => [r.tag, r.created, r.platforms]),
        [
          ['v1.0', '2024-01-01T00:00:00Z', ['linux/amd64']],
          ['v1.1', '2024-02-01T00:00:00Z', ['linux/amd64', 'linux/arm64']],
        ],
      );
      assert.equal(
        format.stdout,
        'v2.0-rc1 2024-03-15T00:00:00Z linux/amd64\nv2.0 2024-04-01T12:30:00Z linux/arm64\n',
      );
    });

    test('a since= tag without a creation time: exit 2, one line', async () => {
      const r = await ferry(['ls', '--filter', 'since=nodate', `${reg.host}/${REPO}`]);
      assert.equal(r.code, 2);
      assert.equal(r.stdout, '');
      assert.match(r.stderr, /^ferry: --filter since=nodate: nodate has no creation time to compare with\n$/);
    });

    test('a before= tag that does not exist: exit 1 (not found)', async () => {
      const r = await ferry(['ls', '--filter', 'before=v9', `${reg.host}/${REPO}`]);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /^ferry: manifest .*:v9 not found\n$/);
    });
  });

  describe('bad filters: exit 2 before any request', () => {
    const cases: Array<[args: string[], message: RegExp]> = [
      [
        ['--filter', 'dangling=true'],
        /unknown --filter key 'dangling' \(valid: reference, since, before, or a bare glob\)/,
      ],
      [['--filter', 'label=a=b'], /unknown --filter key 'label'/],
      [['--filter', 'since='], /--filter since= needs a value/],
      [['--filter', 'since=a:b'], /'a:b' is not a tag/],
      [['--filter', 'since=a', '--filter', 'since=b'], /since= may be given once/],
      [['--filter', 'v1.[0'], /the glob has an unclosed "\["/],
      [['--filter', 'reference=v[z-a]'], /bad character range/],
      [['--platform', 'linux'], /invalid platform/],
    ];
    for (const [args, message] of cases) {
      test(args.join(' '), async () => {
        const r = await ferry(['ls', ...args, `127.0.0.1:${await freePort()}/${REPO}`]);
        assert.equal(r.code, 2, r.stderr);
        assert.equal(r.stdout, '');
        assert.match(r.stderr, message);
      });
    }
  });

  test('token registry: describing every tag for a filter takes one token', async () => {
    const access = ferryAccess(token);
    const server = token.tokenServer;
    assert.ok(server);
    const issued = server.stats().issued;
    const r = await ferry(
      [...access.args, 'ls', '--platform', 'linux/amd64', '--filter', 'since=v1.0', `${token.host}/${REPO}`],
      access.run,
    );
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'v1.1\nv1.2\nv2.0-rc1\n');
    assert.equal(server.stats().issued - issued, 1, 'one token for the whole listing');
  });

  test('describing is bounded: at most 8 manifest and config GETs in flight', async () => {
    const proxy = await countingProxy(reg.url);
    try {
      const r = await ferry(['ls', '-l', '--json', `${proxy.host}/${REPO}`]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal((JSON.parse(r.stdout) as { tags: unknown[] }).tags.length, 6);
      // 6 tags, 2 indexes of 2: 10 manifests, 8 configs, the ping and the tag list.
      assert.equal(proxy.state.total, 20);
      assert.ok(proxy.state.peak > 1, `in parallel (peak ${proxy.state.peak})`);
      assert.ok(proxy.state.peak <= 8, `bounded (peak ${proxy.state.peak})`);
    } finally {
      await proxy.close();
    }
  });
});
