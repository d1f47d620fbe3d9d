// Per-side credentials for a command with two registries (copy): --src-creds / --dest-creds and
// their --…-password-stdin forms, each bound to its own registry. Two registries with different
// users, one Bearer-token (its token server counts who asked) and one htpasswd Basic (its log names
// each user it authenticated or refused), prove that a side's credentials reach only that side:
// never the other registry, never the other's token realm, and never over the other side's stored
// credentials. -u/--password-stdin, which would not say which registry they are for, are refused.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { errorLine } from '../harness/fixtures.js';
import { generateImage, type ImageSummary } from '../harness/images.js';
import { type Registry, startRegistry, usersInLog } from '../harness/registry.js';
import { baseEnv, ferry } from '../harness/run-ferry.js';
import { pushImage, skopeoDigestAt } from '../harness/skopeo.js';
import { syncRecords, writeSyncFile } from '../harness/sync.js';
import { makeTempDir } from '../harness/tmp.js';

const SRC_USERS = [
  { username: 'src-admin', password: 'src-admin-pw', actions: ['*'] },
  { username: 'src-reader', password: 'src-reader-pw', actions: ['pull'] },
];
const DEST_USERS = [{ username: 'dest-writer', password: 'dest-writer-pw', actions: ['*'] }];

describe('per-side credentials (copy)', () => {
  let src: Registry; // token
  let dest: Registry; // basic
  let image: ImageSummary;
  let seq = 0;
  const srcRef = (): string => `${src.host}/side/app:v1`;
  const destRef = (): string => `${dest.host}/side/app:c${++seq}`;

  before(async () => {
    [src, dest] = await Promise.all([
      startRegistry({ auth: 'token', users: SRC_USERS }),
      startRegistry({ auth: 'basic', users: DEST_USERS }),
    ]);
    image = await generateImage({ tag: 'v1', layers: [512, 256] });
    await pushImage(src, 'side/app:v1', image);
  });
  after(() => Promise.all([src?.stop(), dest?.stop()]));

  /** What skopeo reads at `HOST/REPO:TAG` on the destination registry. */
  const destDigest = (ref: string): Promise<string> => skopeoDigestAt(dest, ref.slice(dest.host.length + 1));

  test('--src-creds USER --src-password-stdin and --dest-creds USER:PASSWORD: each reaches its own registry only', async () => {
    const tokens = src.tokenServer!;
    tokens.reset();
    const destLogBefore = dest.readLog().length;
    const to = destRef();
    const r = await ferry(
      [
        '-q',
        'copy',
        '--src-creds',
        'src-reader',
        '--src-password-stdin',
        '--dest-creds',
        'dest-writer:dest-writer-pw',
        srcRef(),
        to,
      ],
      { env: baseEnv(), stdin: 'src-reader-pw\n' },
    );
    assert.equal(r.code, 0, r.stderr);
    // A password on the command line is accepted, with one warning.
    assert.equal(
      r.stderr,
      'ferry: warning: --dest-creds: a password on the command line can be read by other users of this machine; prefer --dest-password-stdin\n',
    );
    assert.equal(await destDigest(to), image.digest);
    // The token server saw only the source's user, and refused nobody.
    const stats = tokens.stats();
    assert.deepEqual(Object.keys(stats.byUser), ['src-reader']);
    assert.equal(stats.denied, 0);
    for (const req of tokens.requests()) {
      assert.equal(req.authScheme, 'Basic');
      assert.equal(req.user, 'src-reader');
    }
    // The destination authenticated only its own user.
    const destLog = dest.readLog().slice(destLogBefore);
    assert.match(destLog, /auth\.user\.name="?dest-writer/);
    assert.doesNotMatch(destLog, /src-reader|error authenticating/);
    assert.doesNotMatch(src.readLog(), /dest-writer/);
    assert.deepEqual(usersInLog(dest), ['dest-writer']);
  });

  test("--dest-creds do not override the source's stored credentials, nor reach its token realm", async () => {
    const config = await makeTempDir('side-config');
    const auth = Buffer.from('src-reader:src-reader-pw').toString('base64');
    await writeFile(join(config, 'config.json'), JSON.stringify({ auths: { [src.host]: { auth } } }));
    const tokens = src.tokenServer!;
    tokens.reset();
    const to = destRef();
    const r = await ferry(
      ['-q', 'copy', '--dest-creds', 'dest-writer', '--dest-password-stdin', srcRef(), to],
      {
        env: baseEnv({ DOCKER_CONFIG: config }),
        stdin: 'dest-writer-pw\n',
      },
    );
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    assert.equal(await destDigest(to), image.digest);
    assert.deepEqual(Object.keys(tokens.stats().byUser), ['src-reader']);
    assert.equal(tokens.stats().denied, 0);
  });

  test('the source with no credentials: refused anonymously, the destination password not tried there', async () => {
    const tokens = src.tokenServer!;
    tokens.reset();
    const r = await ferry(
      ['copy', '--dest-creds', 'dest-writer', '--dest-password-stdin', srcRef(), destRef()],
      {
        env: baseEnv(),
        stdin: 'dest-writer-pw\n',
      },
    );
    assert.equal(r.code, 3, r.stderr);
    // The hint names the flag for that side.
    assert.match(errorLine(r), /\(hint: .*--src-creds USER --src-password-stdin\)$/);
    assert.ok(tokens.requests().length > 0);
    for (const req of tokens.requests())
      assert.equal(req.hasAuthorization, false, 'only anonymous token requests');
  });

  test('--src-no-creds: anonymous for the source even though config.json has its credentials', async () => {
    const config = await makeTempDir('side-config');
    const auth = Buffer.from('src-reader:src-reader-pw').toString('base64');
    await writeFile(join(config, 'config.json'), JSON.stringify({ auths: { [src.host]: { auth } } }));
    const tokens = src.tokenServer!;
    tokens.setAnonymousActions(['pull']);
    try {
      tokens.reset();
      const r = await ferry(
        [
          '-q',
          'copy',
          '--src-no-creds',
          '--dest-creds',
          'dest-writer',
          '--dest-password-stdin',
          srcRef(),
          destRef(),
        ],
        { env: baseEnv({ DOCKER_CONFIG: config }), stdin: 'dest-writer-pw\n' },
      );
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(Object.keys(tokens.stats().byUser), ['(anonymous)']);
    } finally {
      tokens.setAnonymousActions([]);
    }
  });

  test('-u/--password-stdin with copy: exit 2 naming the per-side flags, and no request sent', async () => {
    const before = [src.requests().length, dest.requests().length, src.tokenServer!.requests().length];
    const r = await ferry(['-u', 'dest-writer', '--password-stdin', 'copy', srcRef(), destRef()], {
      env: baseEnv(),
      stdin: 'dest-writer-pw\n',
    });
    assert.equal(r.code, 2);
    assert.equal(
      errorLine(r),
      `ferry: -u/--password-stdin would not say which registry they are for: this command talks to ${src.host} and ${dest.host} (hint: give each side its own: ` +
        '--src-creds USER[:PASSWORD] / --dest-creds USER[:PASSWORD], or their --src-password-stdin / --dest-password-stdin forms)',
    );
    assert.deepEqual(
      [src.requests().length, dest.requests().length, src.tokenServer!.requests().length],
      before,
    );
  });

  test('usage errors: exit 2, one line, before any request', async () => {
    const layout = await makeTempDir('side-layout');
    const cases: Array<[string[], RegExp]> = [
      [
        ['--src-creds', 'a', '--src-password-stdin', '--dest-creds', 'b', '--dest-password-stdin'],
        /^ferry: --src-password-stdin and --dest-password-stdin cannot both read standard input/,
      ],
      [['--src-creds', 'src-reader'], /^ferry: --src-creds src-reader has no password \(hint: /],
      [['--dest-password-stdin'], /^ferry: --dest-password-stdin needs --dest-creds USER$/],
      [['--src-creds', ':pw'], /^ferry: --src-creds needs a username/],
      [['--src-creds', 'a:pw', '--src-password-stdin'], /use one or the other$/],
      [['--dest-no-creds', '--dest-creds', 'a:b'], /--dest-no-creds cannot be used with --dest-creds/],
    ];
    const before = [src.requests().length, dest.requests().length];
    for (const [flags, message] of cases) {
      const r = await ferry(['copy', ...flags, srcRef(), destRef()], { env: baseEnv(), stdin: 'pw\n' });
      assert.equal(r.code, 2, `${flags.join(' ')}: ${r.stderr}`);
      assert.match(errorLine(r), message);
    }
    // A side that is not a registry takes no credentials.
    const local = await ferry(['copy', '--dest-creds', 'a:b', srcRef(), `oci:${layout}:v1`], {
      env: baseEnv(),
    });
    assert.equal(local.code, 2);
    assert.match(local.stderr, /ferry: --dest-creds: the destination is not a registry\n$/);
    // Both sides on one registry with two different logins: one client per registry, so refused.
    const one = await ferry(
      ['copy', '--src-creds', 'x:1', '--dest-creds', 'y:2', srcRef(), `${src.host}/side/other:v1`],
      { env: baseEnv() },
    );
    assert.equal(one.code, 2);
    assert.match(one.stderr, /both sides are on .*: ferry uses one login per registry/);
    assert.deepEqual([src.requests().length, dest.requests().length], before);
  });

  test('both sides on one registry: one login serves both (here --src-creds)', async () => {
    const r = await ferry(
      [
        '-q',
        'copy',
        '--src-creds',
        'src-admin',
        '--src-password-stdin',
        srcRef(),
        `${src.host}/side/same:v1`,
      ],
      { env: baseEnv(), stdin: 'src-admin-pw\n' },
    );
    assert.equal(r.code, 0, r.stderr);
  });

  test('a single-registry command binds -u to its registry (pull)', async () => {
    const dir = await makeTempDir('side-pull');
    src.tokenServer!.reset();
    const r = await ferry(
      ['-q', '-u', 'src-reader', '--password-stdin', 'pull', srcRef(), join(dir, 'a.tar')],
      {
        env: baseEnv(),
        stdin: 'src-reader-pw\n',
      },
    );
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(Object.keys(src.tokenServer!.stats().byUser), ['src-reader']);
  });

  test('a copy that talks to one registry is a single-registry command: -u names it', async () => {
    // Both sides on one registry, and a copy to a local layout: -u means that registry.
    src.tokenServer!.reset();
    const within = await ferry(
      ['-q', '-u', 'src-admin', '--password-stdin', 'copy', srcRef(), `${src.host}/side/within:v1`],
      { env: baseEnv(), stdin: 'src-admin-pw\n' },
    );
    assert.equal(within.code, 0, within.stderr);
    const dir = await makeTempDir('side-layout-u');
    const toFile = await ferry(
      ['-q', '-u', 'src-reader', '--password-stdin', 'copy', srcRef(), `oci:${join(dir, 'layout')}:v1`],
      { env: baseEnv(), stdin: 'src-reader-pw\n' },
    );
    assert.equal(toFile.code, 0, toFile.stderr);
    assert.deepEqual(Object.keys(src.tokenServer!.stats().byUser).sort(), ['src-admin', 'src-reader']);
    // Mixed with a side's own flag, it is one login named twice: refused before any request.
    const mixed = await ferry(
      [
        '-u',
        'src-admin',
        '--password-stdin',
        'copy',
        '--src-creds',
        'x:y',
        srcRef(),
        `${src.host}/side/x:v1`,
      ],
      { env: baseEnv(), stdin: 'src-admin-pw\n' },
    );
    assert.equal(mixed.code, 2);
    assert.match(
      errorLine(mixed),
      /^ferry: --src-creds cannot be used with -u\/--password-stdin or --cert-dir/,
    );
  });

  test('sync: --src-creds and --dest-creds bind to the one registry of each side of the file', async () => {
    const files = await makeTempDir('side-sync');
    const file = await writeSyncFile(
      files,
      `sync:\n  - {type: repository, source: '${src.host}/side/app', target: '${dest.host}/synced/app'}\n`,
    );
    const tokens = src.tokenServer!;
    tokens.reset();
    const destLogBefore = dest.readLog().length;
    const r = await ferry(
      [
        'sync',
        '--json',
        '--src-creds',
        'src-reader',
        '--src-password-stdin',
        '--dest-creds',
        'dest-writer:dest-writer-pw',
        file,
      ],
      { env: baseEnv(), stdin: 'src-reader-pw\n' },
    );
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(
      syncRecords(r).map((x) => [x.outcome, x.digest]),
      [['copied', image.digest]],
    );
    assert.equal(await destDigest(`${dest.host}/synced/app:v1`), image.digest);
    assert.deepEqual(Object.keys(tokens.stats().byUser), ['src-reader']);
    assert.deepEqual(usersInLog({ ...dest, readLog: () => dest.readLog().slice(destLogBefore) }), [
      'dest-writer',
    ]);
  });

  test('sync: a side flag for a side the file puts on two registries is refused before any request', async () => {
    const other = await startRegistry('anonymous');
    try {
      const files = await makeTempDir('side-sync-two');
      const file = await writeSyncFile(
        files,
        `sync:\n  - {type: image, source: '${src.host}/side/app:v1', target: '${dest.host}/two/a:v1'}\n` +
          `  - {type: image, source: '${other.host}/side/app:v1', target: '${dest.host}/two/b:v1'}\n`,
      );
      const before = [src.requests().length, dest.requests().length, other.requests().length];
      const r = await ferry(['sync', '--src-creds', 'src-reader:src-reader-pw', file], { env: baseEnv() });
      assert.equal(r.code, 2, r.stderr);
      assert.match(
        errorLine(r),
        new RegExp(
          `^ferry: --src-creds would not say which registry it is for: the file's sources are on ${src.host}, ${other.host} \\(hint: `,
        ),
      );
      // The global -u names no registry of a file: refused, naming the side flags.
      const u = await ferry(['-u', 'dest-writer', '--password-stdin', 'sync', file], {
        env: baseEnv(),
        stdin: 'dest-writer-pw\n',
      });
      assert.equal(u.code, 2);
      assert.match(errorLine(u), /^ferry: -u\/--password-stdin would not say which registry .*--src-creds/);
      assert.deepEqual([src.requests().length, dest.requests().length, other.requests().length], before);
    } finally {
      await other.stop();
    }
  });
});
