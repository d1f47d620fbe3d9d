// A file ferry cannot read is a local error (exit 8) naming the path, never an "internal error"
// (exit 10) or "no such file". The tests run as root, whom file modes do not stop, so the built
// CLI is spawned as `nobody` through util-linux setpriv: the kernel then refuses the reads for
// real. The archive is a real docker-archive (skopeo wrote it) and the destination a real
// registry, which must see no request.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmod, copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  errorLine,
  ferryOn,
  requestsDuring,
  type SeededRegistry,
  SINGLE,
  startSeededRegistries,
  stopAll,
} from '../harness/fixtures.js';
import { baseEnv, type FerryResult } from '../harness/run-ferry.js';
import { dockerRef, registryAccess, skopeoCopy } from '../harness/skopeo.js';
import { makeTempDir } from '../harness/tmp.js';

const BIN = resolve(import.meta.dirname, '../../bin/ferry.js');
const NOBODY = '65534';

/** bin/ferry.js as uid/gid 65534 with no supplementary groups. */
function ferryAsNobody(args: readonly string[]): Promise<FerryResult> {
  return new Promise((done) => {
    execFile(
      'setpriv',
      [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', process.execPath, BIN, ...args],
      { env: baseEnv(), encoding: 'buffer' },
      (err, stdout, stderr) => {
        const code =
          typeof (err as { code?: unknown } | null)?.code === 'number' ? (err as { code: number }).code : 0;
        done({ code, stdout: stdout.toString(), stdoutBytes: stdout, stderr: stderr.toString() });
      },
    );
  });
}

describe('files ferry cannot read: exit 8 with the path', () => {
  let seeded: Record<'anonymous', SeededRegistry>;
  let s: SeededRegistry;
  let dir: string;
  let secret: string;
  let hidden: string;
  before(async () => {
    seeded = await startSeededRegistries(['anonymous']);
    s = seeded.anonymous;
    dir = await makeTempDir('unreadable');
    await chmod(dir, 0o755);
    const saved = join(dir, 'saved.tar');
    await skopeoCopy(dockerRef(s.registry, `${SINGLE}:v1`), `docker-archive:${saved}:app:1`, {
      src: registryAccess(s.registry),
    });
    // Readable by its owner (root) only.
    secret = join(dir, 'secret.tar');
    await copyFile(saved, secret);
    await chmod(secret, 0o600);
    // Readable, but inside a directory nobody may search.
    const locked = join(dir, 'locked');
    await mkdir(locked, { mode: 0o700 });
    hidden = join(locked, 'image.tar');
    await copyFile(saved, hidden);
    await chmod(hidden, 0o644);
    await chmod(saved, 0o644);
  });
  after(() => stopAll(seeded));

  test('as nobody the archive itself reads fine (the setup is honest)', async () => {
    const result = await ferryAsNobody(['config', join(dir, 'saved.tar')]);
    assert.equal(result.code, 0, result.stderr);
  });

  test('push of a file without read permission: exit 8, "cannot open PATH: permission denied", no request', async () => {
    const { value: result, requests } = await requestsDuring(s.registry, () =>
      ferryAsNobody(['push', secret, `${s.registry.host}/lab/secret:v1`]),
    );
    assert.equal(result.code, 8, result.stderr);
    assert.equal(errorLine(result), `ferry: cannot open ${secret}: permission denied`);
    assert.deepEqual(requests, []);
  });

  test('push and manifest of a file in a directory without search permission: exit 8, not "no such file"', async () => {
    for (const args of [
      ['push', hidden, `${s.registry.host}/lab/secret:v1`],
      ['manifest', hidden],
      ['push', `docker-archive:${hidden}`, `${s.registry.host}/lab/secret:v1`],
    ]) {
      const result = await ferryAsNobody(args);
      assert.equal(result.code, 8, `${args.join(' ')}: ${result.stderr}`);
      assert.match(errorLine(result), new RegExp(`^ferry: cannot (read|open) ${hidden}: permission denied$`));
    }
  });

  test('config, digest and ls of an unreadable archive: exit 8', async () => {
    for (const command of ['config', 'digest', 'ls']) {
      const result = await ferryAsNobody([command, `docker-archive:${secret}`]);
      assert.equal(result.code, 8, `${command}: ${result.stderr}`);
      assert.equal(errorLine(result), `ferry: cannot open ${secret}: permission denied`);
    }
  });

  test('a path through a file (ENOTDIR), as root: exit 8, no such file', async () => {
    const notDir = join(dir, 'plain-file');
    await writeFile(notDir, 'x');
    const result = await ferryOn(s, ['push', join(notDir, 'image.tar'), `${s.registry.host}/lab/x:v1`]);
    assert.equal(result.code, 8);
    assert.equal(errorLine(result), `ferry: ${join(notDir, 'image.tar')}: no such file or directory`);
  });
});
