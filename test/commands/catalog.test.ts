// `ferry catalog` against the real registry in every auth mode: it lists the repositories seeded
// with skopeo, pages through them with --limit/--last (Distribution 2.8 honours n on the catalog
// and answers with a Link header). Refusals (no credentials, a wrong password, a user without
// catalog access) are in auth-failures.test.ts.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { describeSeeded, MODES, REPOSITORIES, requestsDuring, ferryOn as run } from '../harness/fixtures.js';
import { ferry } from '../harness/run-ferry.js';

describeSeeded('ferry catalog', MODES, (seeded) => {
  for (const mode of MODES) {
    describe(`${mode} registry`, () => {
      test('lists the seeded repositories, one a line', async () => {
        const s = seeded[mode];
        const result = await run(s, ['catalog', s.registry.host]);
        assert.equal(result.stderr, '');
        assert.equal(result.code, 0);
        assert.equal(result.stdout, `${REPOSITORIES.join('\n')}\n`);
      });

      test('--json: {registry, repositories, next}', async () => {
        const s = seeded[mode];
        const result = await run(s, ['catalog', '--json', s.registry.host]);
        assert.equal(result.code, 0, result.stderr);
        assert.deepEqual(JSON.parse(result.stdout), {
          registry: s.registry.host,
          repositories: [...REPOSITORIES],
          next: null,
        });
      });

      test('--limit 1 then --last pages through, with a hint while more follow', async () => {
        const s = seeded[mode];
        const host = s.registry.host;
        const { value: pages, requests } = await requestsDuring(s.registry, async () => [
          await run(s, ['catalog', '--limit', '1', host]),
          await run(s, ['catalog', '--limit', '1', '--last', 'lab/multi', host]),
          await run(s, ['catalog', '--limit', '1', '--last', 'lab/single', host]),
        ]);
        assert.deepEqual(
          pages.map((r) => [r.code, r.stdout, r.stderr]),
          [
            [0, 'lab/multi\n', 'more repositories follow: --last lab/multi\n'],
            [0, 'lab/single\n', 'more repositories follow: --last lab/single\n'],
            [0, 'lab/tags\n', ''],
          ],
        );
        // The registry did the paging: ferry asked for one entry at a time, and got 200s.
        const catalog = requests.filter((r) => r.path === '/v2/_catalog' && r.status === 200);
        assert.deepEqual(
          catalog.map((r) => Object.fromEntries(new URL(r.uri, 'http://x').searchParams)),
          [{ n: '1' }, { n: '1', last: 'lab/multi' }, { n: '1', last: 'lab/single' }],
        );
      });

      test('--limit 2 --last lab/multi: the rest, and no hint', async () => {
        const s = seeded[mode];
        const result = await run(s, ['catalog', '--limit', '2', '--last', 'lab/multi', s.registry.host]);
        assert.equal(result.code, 0);
        assert.equal(result.stdout, 'lab/single\nlab/tags\n');
        assert.equal(result.stderr, '');
      });

      test('--json --limit 1: the same shape, with next', async () => {
        const s = seeded[mode];
        const host = s.registry.host;
        const [first, last] = await Promise.all([
          run(s, ['catalog', '--json', '--limit', '1', host]),
          run(s, ['catalog', '--json', '--limit', '1', '--last', 'lab/single', host]),
        ]);
        assert.equal(first.code, 0, first.stderr);
        assert.deepEqual(JSON.parse(first.stdout), {
          registry: host,
          repositories: ['lab/multi'],
          next: 'lab/multi',
        });
        assert.equal(last.code, 0, last.stderr);
        assert.deepEqual(JSON.parse(last.stdout), { registry: host, repositories: ['lab/tags'], next: null });
      });
    });
  }

  test('basic registry: htpasswd has no per-user rights, so the reader may list', async () => {
    const s = seeded.basic;
    const reader = s.as('reader');
    const result = await ferry([...reader.args, 'catalog', s.registry.host], reader.run);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, `${REPOSITORIES.join('\n')}\n`);
  });
});
