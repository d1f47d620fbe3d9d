// The global -u/--password-stdin and --cert-dir on commands that may talk to more than one
// registry (copy, push from docker://, append, mutate, index create/add, sync). They mean "the
// registry of this command": bound to the first registry a command opens, `append BASE DEST …
// -u me --password-stdin` would offer the destination's password to the base image's registry.
// Two htpasswd Basic registries, each with its own user (their logs name every user they
// authenticated or refused), prove the rule: two registries named → exit 2 before any request
// to either; one registry named → bound to that one, whichever the command opens first.
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { errorLine, requestsDuring } from '../harness/fixtures.js';
import { generateImage } from '../harness/images.js';
import { type Registry, startRegistry, usersInLog } from '../harness/registry.js';
import { baseEnv, type FerryResult, ferry } from '../harness/run-ferry.js';
import { pushImage } from '../harness/skopeo.js';
import { makeTempDir } from '../harness/tmp.js';

const BASE_USERS = [{ username: 'base-owner', password: 'base-owner-pw', actions: ['*'] }];
const DEST_USERS = [{ username: 'dest-writer', password: 'dest-writer-pw', actions: ['*'] }];
const PASSWORD = 'dest-writer-pw\n';

describe('global -u and --cert-dir on commands that may talk to several registries', () => {
  let base: Registry; // holds the base image; its own user only
  let dest: Registry; // where the results go; dest-writer
  let rootfs: string;
  let dir: string;

  before(async () => {
    [base, dest] = await Promise.all([
      startRegistry({ auth: 'basic', users: BASE_USERS }),
      startRegistry({ auth: 'basic', users: DEST_USERS }),
    ]);
    const image = await generateImage({ tag: 'v1', seed: 'multi-registry-globals', layers: [400] });
    await Promise.all([pushImage(base, 'lab/base:v1', image), pushImage(dest, 'lab/base:v1', image)]);
    dir = await makeTempDir('multi-registry-globals');
    rootfs = join(dir, 'rootfs');
    await mkdir(join(rootfs, 'etc'), { recursive: true });
    await writeFile(join(rootfs, 'etc', 'app.conf'), 'x=1\n');
  });
  after(() => Promise.all([base?.stop(), dest?.stop()]));

  /** Runs ferry and returns its result with the requests each registry logged meanwhile. */
  async function watched(args: string[]): Promise<{ r: FerryResult; onBase: number; onDest: number }> {
    const { value, requests: onBase } = await requestsDuring(base, () =>
      requestsDuring(dest, () => ferry(args, { env: baseEnv(), stdin: PASSWORD })),
    );
    return { r: value.value, onBase: onBase.length, onDest: value.requests.length };
  }

  test('-u/--password-stdin naming two registries: exit 2, no request to either, the password offered nowhere', async () => {
    const from = `${base.host}/lab/base:v1`;
    const login = ['-u', 'dest-writer', '--password-stdin'];
    const cases: string[][] = [
      // The brief's case: the global flags after the command, the base on the other registry.
      ['append', from, `${dest.host}/lab/app:1`, rootfs, ...login],
      ['mutate', '--label', 'a=b', from, `${dest.host}/lab/app:2`, ...login],
      ['index', 'create', `${dest.host}/lab/idx:1`, from, ...login],
      ['index', 'add', `${dest.host}/lab/idx:1`, from, ...login],
      ['push', `docker://${from}`, `${dest.host}/lab/app:3`, ...login],
      [...login, 'copy', '-a', `${base.host}/lab/base`, `${dest.host}/lab/all`],
    ];
    for (const args of cases) {
      const { r, onBase, onDest } = await watched(args);
      const what = args.join(' ');
      assert.equal(r.code, 2, `${what}: ${r.stderr}`);
      const line = errorLine(r);
      assert.match(
        line,
        /^ferry: -u\/--password-stdin would not say which registry they are for: this command talks to \S+ and \S+ \(hint: /,
        what,
      );
      assert.ok(line.includes(base.host) && line.includes(dest.host), `${what}: names both: ${line}`);
      assert.deepEqual([onBase, onDest], [0, 0], `${what}: no request`);
    }
    // copy's hint names its own per-side flags; the others say to log in to each registry.
    const copy = await watched([...login, 'copy', `${base.host}/lab/base:v1`, `${dest.host}/lab/x:1`]);
    assert.match(errorLine(copy.r), /\(hint: give each side its own: --src-creds USER\[:PASSWORD\]/);
    const append = await watched(['append', from, `${dest.host}/lab/app:1`, rootfs, ...login]);
    assert.match(errorLine(append.r), /\(hint: log in to each registry once \(ferry login /);
    assert.ok(!usersInLog(base).includes('dest-writer'), 'the base registry never saw dest-writer');
  });

  test('--cert-dir naming two registries: exit 2, no request', async () => {
    const certs = await makeTempDir('multi-registry-certs');
    const { r, onBase, onDest } = await watched([
      '--cert-dir',
      certs,
      'append',
      `${base.host}/lab/base:v1`,
      `${dest.host}/lab/app:4`,
      rootfs,
    ]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(
      errorLine(r),
      /^ferry: --cert-dir would not say which registry it is for: this command talks to \S+ and \S+ \(hint: /,
    );
    assert.deepEqual([onBase, onDest], [0, 0]);
  });

  test('sync: -u and --cert-dir are refused, since its file names the registries', async () => {
    const file = join(dir, 'mirror.yaml');
    await writeFile(
      file,
      `sync:\n  - {type: image, source: '${base.host}/lab/base:v1', target: '${dest.host}/mirror/base:v1'}\n`,
    );
    const login = await watched(['sync', '-u', 'dest-writer', '--password-stdin', file]);
    assert.equal(login.r.code, 2, login.r.stderr);
    assert.equal(
      errorLine(login.r),
      'ferry: -u/--password-stdin would not say which registry they are for: this command talks to the registries its file lists ' +
        '(hint: give each side its own: --src-creds USER[:PASSWORD] / --dest-creds USER[:PASSWORD], or their --src-password-stdin / --dest-password-stdin forms)',
    );
    assert.deepEqual([login.onBase, login.onDest], [0, 0]);
    const certs = await watched(['sync', '--cert-dir', dir, file]);
    assert.equal(certs.r.code, 2, certs.r.stderr);
    assert.match(errorLine(certs.r), /^ferry: --cert-dir would not say which registry it is for: /);
    assert.deepEqual([certs.onBase, certs.onDest], [0, 0]);
  });

  test('one registry named: -u is bound to it, and only it hears from ferry', async () => {
    // append and index create with every location on the destination registry: it authenticates
    // dest-writer; the base registry gets no request at all.
    const append = await watched([
      'append',
      `${dest.host}/lab/base:v1`,
      `${dest.host}/lab/app:same`,
      rootfs,
      '-q',
      '-u',
      'dest-writer',
      '--password-stdin',
    ]);
    assert.equal(append.r.code, 0, append.r.stderr);
    assert.match(append.r.stdout, /^sha256:[0-9a-f]{64}\n$/);
    assert.ok(append.onDest > 0);
    assert.equal(append.onBase, 0);
    const index = await watched([
      '-q',
      '-u',
      'dest-writer',
      '--password-stdin',
      'index',
      'create',
      `${dest.host}/lab/idx:same`,
      `${dest.host}/lab/app:same`,
    ]);
    assert.equal(index.r.code, 0, index.r.stderr);
    // From a registry to a local layout: one registry, which the login is for.
    const layout = join(dir, 'layout');
    const mutate = await watched([
      '-q',
      '-u',
      'dest-writer',
      '--password-stdin',
      'mutate',
      '--label',
      'a=b',
      `${dest.host}/lab/base:v1`,
      `oci:${layout}:v1`,
    ]);
    assert.equal(mutate.r.code, 0, mutate.r.stderr);
    assert.equal(mutate.onBase, 0);
    assert.ok(usersInLog(dest).includes('dest-writer'));
    assert.ok(!usersInLog(base).includes('dest-writer'));
  });
});
