// `ferry sync` when things go wrong, against real registries and the fault proxy: a source that
// refuses its catalog (`type: registry` says so, the rest goes on); a failing image among good
// ones (exit 9, the rest copied); a 429 with Retry-After pauses every copy from that host, not only
// the one refused (ferry's --debug trace against the proxy's clock); a quotaFloor stops manifest
// GETs at the floor while HEAD-only checks go on; a run killed in the middle leaves no tag naming a
// half-copied image, and the next run completes the mirror.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type FaultProxy, startFaultProxy } from '../harness/fault-proxy.js';
import { generateImage, type ImageSummary } from '../harness/images.js';
import { type Registry, startRegistry } from '../harness/registry.js';
import { baseEnv, ferry } from '../harness/run-ferry.js';
import { dockerRef, pushImage, registryAccess, skopeoDigestAt, skopeoListTags } from '../harness/skopeo.js';
import { syncRecords, writeSyncFile } from '../harness/sync.js';
import { makeTempDir } from '../harness/tmp.js';
import { httpStatus, waitFor } from '../harness/wait.js';

const BIN = resolve(import.meta.dirname, '../../bin/ferry.js');
const REPOS = ['fleet/a', 'fleet/b', 'fleet/c', 'fleet/d', 'fleet/e', 'fleet/f'];

let dir: string;

const syncFile = (text: string): Promise<string> => writeSyncFile(dir, text);

describe('ferry sync: faults', () => {
  let src: Registry;
  let image: ImageSummary;
  let other: ImageSummary;
  let proxy: FaultProxy;

  before(async () => {
    dir = await makeTempDir('sync-faults');
    src = await startRegistry('anonymous');
    [image, other] = await Promise.all([
      generateImage({ tag: 'v1', seed: 'sync-faults', layers: [2000, 1500, 1000] }),
      generateImage({ tag: 'v1', seed: 'sync-faults-other', layers: [900] }),
    ]);
    await pushImage(src, `${REPOS[0]}:v1`, image);
    for (const repo of REPOS.slice(1)) {
      const r = await ferry(['copy', `${src.host}/${REPOS[0]}:v1`, `${src.host}/${repo}:v1`]);
      assert.equal(r.code, 0, r.stderr);
    }
    await pushImage(src, 'solo/other:v1', other);
    proxy = await startFaultProxy({ upstream: src.url });
  });
  after(async () => {
    await proxy?.close();
    await src?.stop();
  });

  const fresh = async (): Promise<Registry> => startRegistry('anonymous');

  test('a source that refuses its catalog: that entry fails with the reason, the others are copied', async () => {
    const dst = await fresh();
    try {
      proxy.clearRules();
      proxy.addRule({ method: 'GET', path: /^\/v2\/_catalog/, action: { kind: 'status', status: 404 } });
      const file = await syncFile(`
sync:
  - type: registry
    source: ${proxy.host}/fleet
    target: ${dst.host}/fleet
  - type: image
    source: ${src.host}/solo/other:v1
    target: ${dst.host}/solo/other:v1
`);
      const r = await ferry(['sync', '--json', file]);
      assert.equal(r.code, 9, r.stderr);
      const [refused, copied] = syncRecords(r);
      assert.equal(refused?.outcome, 'failed');
      assert.equal(refused?.error, `${proxy.host} does not offer a repository catalog (HTTP 404)`);
      assert.match(
        r.stderr,
        new RegExp(
          `sync\\[0\\] \\(${proxy.host}/fleet\\): ${proxy.host}/fleet: failed: ${proxy.host} does not offer a repository catalog \\(HTTP 404\\)`,
        ),
      );
      assert.equal(copied?.outcome, 'copied');
      assert.equal(await skopeoDigestAt(dst, 'solo/other:v1'), other.digest);

      // Alone, the entry's own failure is the exit code (E_UNSUPPORTED: 7).
      const alone = await syncFile(
        `sync:\n  - {type: registry, source: '${proxy.host}', target: '${dst.host}/all'}\n`,
      );
      assert.equal((await ferry(['sync', alone])).code, 7);
    } finally {
      proxy.clearRules();
      await dst.stop();
    }
  });

  test('a token registry that refuses the catalog to this user: said as a refusal (exit 3)', async () => {
    const token = await startRegistry('token');
    try {
      await pushImage(token, 'team/app:v1', other);
      const config = await makeTempDir('sync-reader');
      const auth = Buffer.from(token.creds('reader')).toString('base64');
      await writeFile(join(config, 'config.json'), JSON.stringify({ auths: { [token.host]: { auth } } }));
      const file = await syncFile(
        `sync:\n  - {type: registry, source: '${token.host}', target: '${token.host}/mirror'}\n`,
      );
      const r = await ferry(['sync', '--json', file], { env: baseEnv({ DOCKER_CONFIG: config }) });
      assert.equal(r.code, 3, r.stderr);
      assert.match(
        syncRecords(r)[0]?.error ?? '',
        new RegExp(`^${token.host} refused to list its repositories \\(HTTP 40[13]\\)`),
      );
    } finally {
      await token.stop();
    }
  });

  test('a failing image among good ones: exit 9, the rest copied, the failure named', async () => {
    const dst = await fresh();
    try {
      proxy.clearRules();
      // Every read of fleet/c's manifest comes back with one byte changed: a digest mismatch.
      proxy.addRule({ method: 'GET', path: /^\/v2\/fleet\/c\/manifests\//, action: { kind: 'flip' } });
      const file = await syncFile(
        `sync:\n  - {type: registry, source: '${proxy.host}/fleet', target: '${dst.host}/fleet'}\n`,
      );
      const r = await ferry(['sync', '--json', '-j', '3', file]);
      assert.equal(r.code, 9, r.stderr);
      const got = syncRecords(r);
      assert.deepEqual(
        got.map((g) => [g.destination.replace(`docker://${dst.host}/`, ''), g.outcome]),
        REPOS.map((repo) => [`${repo}:v1`, repo === 'fleet/c' ? 'failed' : 'copied']),
      );
      assert.match(got[2]?.error ?? '', /^digest mismatch for manifest /);
      assert.match(r.stderr, /^6 images: 5 copied, 0 in step, 0 filtered, 1 failed in /m);
      for (const repo of REPOS.filter((x) => x !== 'fleet/c'))
        assert.equal(await skopeoDigestAt(dst, `${repo}:v1`), image.digest, repo);
      await assert.rejects(skopeoListTags(dockerRef(dst, 'fleet/c'), registryAccess(dst)));

      // Again under -q: the others are in step and silent; the failure is an error, and shows.
      const quiet = await ferry(['sync', '-q', '-j', '3', file]);
      assert.equal(quiet.code, 9, quiet.stderr);
      assert.equal(quiet.stdout, '');
      assert.match(
        quiet.stderr,
        /^\S+\/fleet\/c:v1 → \S+\/fleet\/c:v1: failed: digest mismatch for manifest [^\n]*\n$/,
      );
    } finally {
      proxy.clearRules();
      await dst.stop();
    }
  });

  test('a 429 with Retry-After pauses every copy from that host until then', async () => {
    const dst = await fresh();
    try {
      proxy.clearRules();
      proxy.clearLog();
      // The first manifest GET (a copy's root, once every image has passed its check) is refused.
      proxy.addRule({
        method: 'GET',
        path: /\/manifests\//,
        times: 1,
        action: { kind: 'status', status: 429, retryAfter: 2 },
      });
      const file = await syncFile(
        `sync:\n  - {type: registry, source: '${proxy.host}/fleet', target: '${dst.host}/fleet'}\n`,
      );
      const r = await ferry(['--debug', 'sync', '-j', '6', file]);
      assert.equal(r.code, 0, r.stderr);
      await proxy.idle();
      for (const repo of REPOS) assert.equal(await skopeoDigestAt(dst, `${repo}:v1`), image.digest, repo);

      const refused = proxy.log.find((e) => e.status === 429);
      assert.ok(refused, 'the proxy refused one request');
      // ferry's trace, in its own order: the retry middleware says it will wait only after the
      // host gate has read the 429 (the gate sits inside retry, http/compose.ts). Every request
      // ferry sends to that host after that line was let through by the gate after the 429.
      const lines = r.stderr.split('\n');
      const said = lines.findIndex((l) => /HTTP 429; retry 1 of \d+ in 2\.0 s$/.test(l));
      assert.ok(said > 0, `the wait was said: ${lines.filter((l) => /retry|429/.test(l)).join(' / ')}`);
      const later = lines.slice(said).flatMap((l) => {
        const m = /^> (\S+) http:\/\/([^/]+)(\/\S*)$/.exec(l);
        return m && m[2] === proxy.host ? [`${m[1]} ${m[3]}`] : [];
      });
      const repositories = new Set(later.map((l) => /\/v2\/(fleet\/\w)\//.exec(l)?.[1]).filter(Boolean));
      assert.ok(repositories.size >= 3, `other copies had requests waiting: ${[...repositories].join(', ')}`);
      // The proxy's clock (the same Date.now() the gate uses): each of those arrived no earlier
      // than Retry-After after the 429 did. Nothing that was let through after the 429 jumped the pause.
      const pausedUntil = refused.time + 2000;
      const arrivedAfter = new Map<string, number>();
      for (const e of proxy.log)
        if (e.seq > refused.seq && e.time >= pausedUntil) {
          const key = `${e.method} ${e.path}`;
          arrivedAfter.set(key, (arrivedAfter.get(key) ?? 0) + 1);
        }
      const sentAfter = new Map<string, number>();
      for (const key of later) sentAfter.set(key, (sentAfter.get(key) ?? 0) + 1);
      for (const [key, n] of sentAfter)
        assert.ok(
          (arrivedAfter.get(key) ?? 0) >= n,
          `${key}: sent after the 429 but arrived before the pause ended`,
        );
      assert.ok(later.length >= REPOS.length, `${later.length} requests waited`);
    } finally {
      proxy.clearRules();
      await dst.stop();
    }
  });

  test('quotaFloor: at the floor, manifest GETs are refused and HEAD-only checks go on', async () => {
    const dst = await fresh();
    try {
      // fleet/a is in step already; fleet/b is behind.
      assert.equal((await ferry(['copy', `${src.host}/fleet/a:v1`, `${dst.host}/fleet/a:v1`])).code, 0);
      proxy.clearRules();
      proxy.clearLog();
      proxy.addRule({
        method: 'HEAD',
        path: /\/manifests\//,
        action: {
          kind: 'headers',
          headers: { 'RateLimit-Limit': '100;w=21600', 'RateLimit-Remaining': '5;w=21600' },
        },
      });
      const file = await syncFile(`
defaults:
  hosts:
    ${proxy.host}: { quotaFloor: 10 }
sync:
  - {type: image, source: '${proxy.host}/fleet/a:v1', target: '${dst.host}/fleet/a:v1'}
  - {type: image, source: '${proxy.host}/fleet/b:v1', target: '${dst.host}/fleet/b:v1'}
`);
      const r = await ferry(['sync', '--json', file]);
      assert.equal(r.code, 9, r.stderr);
      const [a, b] = syncRecords(r);
      assert.equal(a?.outcome, 'in-step');
      assert.equal(b?.outcome, 'failed');
      assert.match(
        b?.error ?? '',
        new RegExp(`^${proxy.host}: the pull quota left \\(5\\) is at the floor you set \\(quotaFloor 10\\)`),
      );
      await proxy.idle();
      assert.deepEqual(
        proxy.log.filter((e) => e.method === 'GET' && e.path.includes('/manifests/')),
        [],
        'no pull spent',
      );
    } finally {
      proxy.clearRules();
      await dst.stop();
    }
  });

  test('a re-run in step shares keep-alive connections: its HEADs do not each open one', async () => {
    const dst = await fresh();
    try {
      proxy.clearRules();
      const file = await syncFile(
        `sync:\n  - {type: registry, source: '${proxy.host}/fleet', target: '${dst.host}/fleet'}\n`,
      );
      assert.equal((await ferry(['sync', file])).code, 0);
      proxy.clearLog();
      const before = proxy.connections;
      const r = await ferry(['sync', '-j', '1', file]);
      assert.equal(r.code, 0, r.stderr);
      await proxy.idle();
      const heads = proxy.log.filter((e) => e.method === 'HEAD').length;
      assert.equal(heads, REPOS.length);
      // One request at a time: the https probe's connection and one kept alive (a few more at
      // most). undici closes the connection after every HEAD unless told not to (http/transport.ts).
      assert.ok(
        proxy.connections - before <= 3,
        `${proxy.connections - before} connections for ${proxy.log.length} requests`,
      );
    } finally {
      await dst.stop();
    }
  });

  test('a run killed mid-copy tags nothing half-copied, and the next run completes the mirror', async () => {
    const dst = await fresh();
    const dstProxy = await startFaultProxy({ upstream: dst.url });
    try {
      // fleet/d's tag PUT is held at the proxy (the registry never sees it) while the run is killed.
      dstProxy.addRule({
        method: 'PUT',
        path: /^\/v2\/fleet\/d\/manifests\//,
        action: { kind: 'hold', ms: 60_000 },
      });
      const file = await syncFile(
        `sync:\n  - {type: registry, source: '${src.host}/fleet', target: '${dstProxy.host}/fleet'}\n`,
      );
      const child = spawn(process.execPath, [BIN, 'sync', file], { env: baseEnv(), stdio: 'ignore' });
      const exited = new Promise<NodeJS.Signals | null>((done) =>
        child.once('exit', (_code, signal) => done(signal)),
      );
      await waitFor(
        'the tag PUT of fleet/d to be held',
        () =>
          dstProxy.log.some((e) => e.method === 'PUT' && e.path.startsWith('/v2/fleet/d/manifests/')) ||
          undefined,
        { timeoutMs: 20_000 },
      );
      child.kill('SIGKILL');
      assert.equal(await exited, 'SIGKILL');

      // fleet/d: its blobs are at the destination, its tag is not.
      const layers = image.platforms[0]!.layers.map((l) => l.digest);
      for (const digest of layers)
        assert.equal(await httpStatus(`${dst.url}/v2/fleet/d/blobs/${digest}`), 200, digest);
      assert.equal(await httpStatus(`${dst.url}/v2/fleet/d/manifests/v1`), 404);

      dstProxy.clearRules();
      const r = await ferry(['sync', '--json', file]);
      assert.equal(r.code, 0, r.stderr);
      const got = syncRecords(r);
      assert.equal(got.find((g) => g.destination.endsWith('/fleet/d:v1'))?.outcome, 'copied');
      for (const repo of REPOS) assert.equal(await skopeoDigestAt(dst, `${repo}:v1`), image.digest, repo);
    } finally {
      await dstProxy.close();
      await dst.stop();
    }
  });
});
