// `ferry blob put` and `ferry manifest put` against the real registry, crane and skopeo as the
// referees: what was put reads back byte for byte, a blob already there is not sent again, a
// broken upload is sent again from the file, stdin works from a pipe (through a temp file that is
// removed) and from a redirected file (read in place), and bad input is one line and its exit code.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, openSync } from 'node:fs';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type FaultProxy, startFaultProxy } from '../harness/fault-proxy.js';
import {
  errorLine,
  MULTI,
  requestsDuring,
  ferryOn as run,
  type SeededRegistry,
  SINGLE,
  skopeoRaw,
  startSeededRegistries,
  stopAll,
} from '../harness/fixtures.js';
import { pseudoRandomBytes } from '../harness/images.js';
import { runCommand } from '../harness/proc.js';
import { baseEnv, type FerryResult, ferry } from '../harness/run-ferry.js';
import { makeTempDir } from '../harness/tmp.js';

const BIN = resolve(import.meta.dirname, '../../bin/ferry.js');
const sha256 = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const crane = async (ref: string): Promise<Buffer> =>
  (await runCommand('crane', ['blob', '--insecure', ref])).stdout as Buffer;

/** bin/ferry.js with stdin from `stdin` (a file descriptor) and the environment `env`. */
function ferryBinWithStdin(
  args: readonly string[],
  stdin: number,
  env: NodeJS.ProcessEnv,
): Promise<FerryResult> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [BIN, ...args], { env, stdio: [stdin, 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout?.on('data', (c: Buffer) => out.push(c));
    child.stderr?.on('data', (c: Buffer) => err.push(c));
    child.on('close', (code) => {
      const stdoutBytes = Buffer.concat(out);
      done({
        code: code ?? -1,
        stdout: stdoutBytes.toString(),
        stdoutBytes,
        stderr: Buffer.concat(err).toString(),
      });
    });
  });
}

describe('blob put', () => {
  let seeded: Record<'anonymous', SeededRegistry>;
  let s: SeededRegistry;
  let host: string;
  let dir: string;
  let file: string;
  let bytes: Buffer;
  let proxy: FaultProxy;
  before(async () => {
    seeded = await startSeededRegistries(['anonymous']);
    s = seeded.anonymous;
    host = s.registry.host;
    dir = await makeTempDir('blob-put');
    bytes = pseudoRandomBytes('blob-put', 3 * 1024 * 1024 + 17);
    file = join(dir, 'layer.bin');
    await writeFile(file, bytes);
    proxy = await startFaultProxy({ upstream: s.registry.url });
  });
  after(async () => {
    await proxy?.close();
    await stopAll(seeded);
  });

  test('FILE: prints the digest, and the registry holds those bytes (crane reads them back)', async () => {
    const { value: r, requests } = await requestsDuring(s.registry, () =>
      run(s, ['blob', 'put', `${host}/put/a`, file]),
    );
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `${sha256(bytes)}\n`);
    assert.match(r.stderr, /^uploaded 3145745 bytes to /);
    assert.deepEqual(await crane(`${host}/put/a@${sha256(bytes)}`), bytes);
    assert.deepEqual(
      requests.filter((q) => q.path.startsWith('/v2/put/') && q.method !== 'HEAD').map((q) => q.method),
      ['POST', 'PUT'],
      'one upload: POST, then one PUT with the whole blob (digest and size known: monolithic)',
    );
  });

  test('a blob the repository has already: one HEAD, nothing sent, existing in --json', async () => {
    await run(s, ['blob', 'put', `${host}/put/b`, file]);
    const { value: r, requests } = await requestsDuring(s.registry, () =>
      run(s, ['blob', 'put', '--json', `${host}/put/b`, file]),
    );
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), {
      repository: `${host}/put/b`,
      digest: sha256(bytes),
      size: bytes.length,
      existing: true,
    });
    assert.deepEqual(
      requests.filter((q) => q.path.startsWith('/v2/put/')).map((q) => `${q.method} ${q.path}`),
      [`HEAD /v2/put/b/blobs/${sha256(bytes)}`],
    );
  });

  test('stdin from a pipe: the same digest, and the temp file is gone afterwards', async () => {
    const tmp = await makeTempDir('blob-put-tmp');
    const r = await new Promise<FerryResult>((done) => {
      const child = spawn(process.execPath, [BIN, 'blob', 'put', `${host}/put/pipe`, '-'], {
        env: baseEnv({ TMPDIR: tmp }),
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      const out: Buffer[] = [];
      let err = '';
      child.stdout.on('data', (c: Buffer) => out.push(c));
      child.stderr.on('data', (c: Buffer) => {
        err += c.toString();
      });
      child.on('close', (code) => {
        const stdoutBytes = Buffer.concat(out);
        done({ code: code ?? -1, stdout: stdoutBytes.toString(), stdoutBytes, stderr: err });
      });
      // In pieces, as a pipeline writes.
      for (let i = 0; i < bytes.length; i += 1024 * 1024)
        child.stdin.write(bytes.subarray(i, i + 1024 * 1024));
      child.stdin.end();
    });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `${sha256(bytes)}\n`);
    assert.deepEqual(await crane(`${host}/put/pipe@${sha256(bytes)}`), bytes);
    assert.deepEqual(await readdir(tmp), [], 'the spool was removed');
  });

  test('stdin redirected from a file: read in place, no temp file', async () => {
    const tmp = await makeTempDir('blob-put-tmp');
    const fd = openSync(file, 'r');
    try {
      const r = await ferryBinWithStdin(
        ['blob', 'put', `${host}/put/redirect`, '-'],
        fd,
        baseEnv({ TMPDIR: tmp }),
      );
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, `${sha256(bytes)}\n`);
    } finally {
      closeSync(fd);
    }
    assert.deepEqual(await readdir(tmp), []);
    assert.deepEqual(await crane(`${host}/put/redirect@${sha256(bytes)}`), bytes);
  });

  test('in-process stdin (a stream, not a file): spooled and sent', async () => {
    const small = Buffer.from('{"hello":"blob"}\n');
    const r = await ferry(['blob', 'put', `${host}/put/stdin`, '-'], {
      env: baseEnv(),
      stdin: small.toString(),
    });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `${sha256(small)}\n`);
  });

  test('an upload cut on the way is sent again from the file, with a fresh session', async () => {
    proxy.clearRules();
    proxy.clearLog();
    const cut = proxy.addRule({
      // The blob's bytes go in the PUT that names its digest (a monolithic upload).
      method: 'PUT',
      path: /\/blobs\/uploads\//,
      times: 1,
      action: { kind: 'reset-request', at: 1024 * 1024 },
    });
    const other = pseudoRandomBytes('blob-put-retry', 2 * 1024 * 1024);
    const path = join(dir, 'retry.bin');
    await writeFile(path, other);
    const r = await ferry(['blob', 'put', `${proxy.host}/put/retry`, path]);
    await proxy.idle();
    assert.equal(r.code, 0, r.stderr);
    assert.equal(cut.hits, 1);
    assert.equal(
      proxy.log.filter((e) => e.method === 'POST').length,
      2,
      'two sessions: the cut one and the retry',
    );
    assert.deepEqual(await crane(`${host}/put/retry@${sha256(other)}`), other);
  });

  test('bad input: one line and its exit code, nothing sent', async () => {
    await mkdir(join(dir, 'a-dir'));
    const cases: Array<[string[], number, RegExp]> = [
      [
        ['blob', 'put', `${host}/put/x`, join(dir, 'missing')],
        8,
        /^ferry: cannot open .*missing: no such file or directory$/,
      ],
      [
        ['blob', 'put', `${host}/put/x`, join(dir, 'a-dir')],
        8,
        /^ferry: cannot read .*a-dir: it is a directory$/,
      ],
      [['blob', 'put', `${host}/put/x:v1`, file], 2, /^ferry: invalid repository .*takes no tag/],
      [['blob', 'put', `${host}/put/x`], 2, /^ferry: missing required argument 'file'$/],
    ];
    for (const [args, code, message] of cases) {
      const { value: r, requests } = await requestsDuring(s.registry, () => run(s, args));
      assert.equal(r.code, code, `${args.join(' ')}: ${r.stderr}`);
      assert.match(errorLine(r), message);
      assert.deepEqual(
        requests.filter((q) => q.method !== 'HEAD' && q.method !== 'GET'),
        [],
      );
    }
  });

  test('--password-stdin with FILE -: both would read stdin, so exit 2 before anything is read or sent', async () => {
    const { value: r, requests } = await requestsDuring(s.registry, () =>
      ferry(['blob', 'put', '-u', 'alice', '--password-stdin', `${host}/put/both`, '-'], {
        env: baseEnv(),
        stdin: 's3cret\nblob bytes\n',
      }),
    );
    assert.equal(r.code, 2, r.stderr);
    assert.match(
      errorLine(r),
      /^ferry: --password-stdin and FILE - cannot both read standard input \(hint: /,
    );
    assert.deepEqual(requests, []);
  });

  test('the old forms still work: blob REPO@DIGEST FILE, blob rm', async () => {
    const out = join(dir, 'back.bin');
    const got = await run(s, ['blob', `${host}/put/a@${sha256(bytes)}`, out]);
    assert.equal(got.code, 0, got.stderr);
    const rm = await run(s, ['blob', 'rm', `${host}/put/a@${sha256(bytes)}`]);
    assert.equal(rm.code, 0, rm.stderr);
    assert.equal((await run(s, ['blob', `${host}/put/a@${sha256(bytes)}`, out])).code, 1);
  });
});

describe('manifest put', () => {
  let seeded: Record<'anonymous', SeededRegistry>;
  let s: SeededRegistry;
  let host: string;
  let dir: string;
  before(async () => {
    seeded = await startSeededRegistries(['anonymous']);
    s = seeded.anonymous;
    host = s.registry.host;
    dir = await makeTempDir('manifest-put');
  });
  after(() => stopAll(seeded));

  const save = async (name: string, content: Buffer | string): Promise<string> => {
    const path = join(dir, name);
    await writeFile(path, content);
    return path;
  };

  test('FILE: the bytes go up as they are; the digest printed is the one skopeo reads', async () => {
    const original = await skopeoRaw(s, `${SINGLE}:v1`);
    const r = await run(s, ['manifest', 'put', `${host}/${SINGLE}:copy`, await save('m.json', original)]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `${s.images.single.digest}\n`);
    assert.deepEqual(await skopeoRaw(s, `${SINGLE}:copy`), original);
  });

  test('stdin, edited by hand: a new digest, byte for byte; --json says what was put', async () => {
    const doc = JSON.parse((await skopeoRaw(s, `${SINGLE}:v1`)).toString()) as Record<string, unknown>;
    const edited = Buffer.from(JSON.stringify({ ...doc, annotations: { 'org.example.note': 'by hand' } }));
    const put = await ferry(['manifest', 'put', '--json', `${host}/${SINGLE}:edited`, '-'], {
      env: baseEnv(),
      stdin: edited.toString(),
    });
    assert.equal(put.code, 0, put.stderr);
    assert.deepEqual(JSON.parse(put.stdout), {
      reference: `${host}/${SINGLE}:edited`,
      digest: sha256(edited),
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      size: edited.length,
    });
    assert.deepEqual(await skopeoRaw(s, `${SINGLE}:edited`), edited);
  });

  test('an index by digest', async () => {
    const index = await skopeoRaw(s, `${MULTI}:v1`);
    const r = await run(s, [
      'manifest',
      'put',
      `${host}/${MULTI}@${s.images.multi.digest}`,
      await save('i.json', index),
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `${s.images.multi.digest}\n`);
  });

  test('no mediaType field: --media-type supplies it; without it, exit 2', async () => {
    const doc = JSON.parse((await skopeoRaw(s, `${SINGLE}:v1`)).toString()) as Record<string, unknown>;
    delete doc['mediaType'];
    const bare = await save('bare.json', JSON.stringify(doc));
    const refused = await run(s, ['manifest', 'put', `${host}/${SINGLE}:bare`, bare]);
    assert.equal(refused.code, 2);
    assert.match(
      errorLine(refused),
      /has no mediaType field: say which it is with --media-type \(hint: one of /,
    );
    const r = await run(s, [
      'manifest',
      'put',
      '--media-type',
      'application/vnd.oci.image.manifest.v1+json',
      `${host}/${SINGLE}:bare`,
      bare,
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal((await run(s, ['digest', `${host}/${SINGLE}:bare`])).stdout, r.stdout);
  });

  test('refused before anything is sent: not a manifest, a type mismatch, a digest mismatch', async () => {
    const original = await skopeoRaw(s, `${SINGLE}:v1`);
    const config = await run(s, ['config', `${host}/${SINGLE}:v1`]);
    const cases: Array<[string[], number, RegExp]> = [
      [
        ['manifest', 'put', `${host}/${SINGLE}:x`, await save('config.json', config.stdoutBytes)],
        7,
        /invalid .*config\.json/,
      ],
      [
        ['manifest', 'put', `${host}/${SINGLE}:x`, await save('text.txt', 'hello')],
        7,
        /^ferry: invalid .*text\.txt: not JSON$/,
      ],
      [
        [
          'manifest',
          'put',
          '--media-type',
          'application/vnd.oci.image.index.v1+json',
          `${host}/${SINGLE}:x`,
          await save('o.json', original),
        ],
        2,
        /--media-type application\/vnd\.oci\.image\.index\.v1\+json differs from the manifest's own mediaType/,
      ],
      [
        ['manifest', 'put', `${host}/${SINGLE}@sha256:${'0'.repeat(64)}`, join(dir, 'o.json')],
        6,
        /digest mismatch/,
      ],
      [
        ['manifest', 'put', `${host}/${SINGLE}:x`, join(dir, 'nope.json')],
        8,
        /cannot read .*nope\.json: no such file/,
      ],
      [
        ['manifest', 'put', '--media-type', 'text/plain', `${host}/${SINGLE}:x`, join(dir, 'o.json')],
        2,
        /differs from the manifest's own mediaType/,
      ],
      [
        [
          'manifest',
          'put',
          '--media-type',
          'text/plain',
          `${host}/${SINGLE}:x`,
          await save('t.json', JSON.stringify({ ...JSON.parse(original.toString()), mediaType: undefined })),
        ],
        2,
        /^ferry: text\/plain is not a manifest or index type/,
      ],
      [['manifest', 'put', `${host}/${SINGLE}:x`, '-'], 7, /^ferry: invalid standard input: not JSON$/],
    ];
    for (const [args, code, message] of cases) {
      const { value: r, requests } = await requestsDuring(s.registry, () => run(s, args));
      assert.equal(r.code, code, `${args.join(' ')}: ${r.stderr}`);
      assert.match(errorLine(r), message);
      assert.deepEqual(
        requests.filter((q) => q.method === 'PUT'),
        [],
      );
    }
  });

  test('--password-stdin with FILE -: exit 2 before anything is read or sent', async () => {
    const original = (await skopeoRaw(s, `${SINGLE}:v1`)).toString();
    const { value: r, requests } = await requestsDuring(s.registry, () =>
      ferry(['-u', 'alice', '--password-stdin', 'manifest', 'put', `${host}/${SINGLE}:both`, '-'], {
        env: baseEnv(),
        stdin: `s3cret\n${original}`,
      }),
    );
    assert.equal(r.code, 2, r.stderr);
    assert.match(
      errorLine(r),
      /^ferry: --password-stdin and FILE - cannot both read standard input \(hint: /,
    );
    assert.deepEqual(requests, []);
  });

  test('the old form still works: manifest REF', async () => {
    const r = await run(s, ['manifest', `${host}/${SINGLE}:v1`]);
    assert.deepEqual(r.stdoutBytes, await skopeoRaw(s, `${SINGLE}:v1`));
  });
});
