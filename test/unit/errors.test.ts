import assert from 'node:assert/strict';
import { open, stat } from 'node:fs/promises';
import { test } from 'node:test';
import { LocalError, localErrorFrom, NotFoundError } from '../../src/errors.js';

const caught = async (work: Promise<unknown>): Promise<unknown> =>
  work.then(
    () => assert.fail('expected a failure'),
    (err: unknown) => err,
  );

test('localErrorFrom: a file system error becomes a LocalError (exit 8) naming the path', async () => {
  const missing = localErrorFrom(await caught(open('/nonexistent-ferry/x.tar', 'r')));
  assert.ok(missing instanceof LocalError);
  assert.equal(missing.exitCode, 8);
  assert.equal(missing.message, 'cannot open /nonexistent-ferry/x.tar: no such file or directory');
  const dir = localErrorFrom(await caught(open('/', 'r').then((h) => h.read().finally(() => h.close()))));
  // A read on an open file: Node's error carries no path.
  assert.equal(dir?.message, 'cannot read a local file: it is a directory');
  assert.equal(
    localErrorFrom(await caught(stat('/etc/hostname/x')))?.message,
    'cannot read /etc/hostname/x: a part of the path is not a directory',
  );
});

test('localErrorFrom: anything else is left alone', () => {
  assert.equal(localErrorFrom(new NotFoundError('x')), undefined);
  assert.equal(localErrorFrom(new Error('plain')), undefined);
  const socket = Object.assign(new Error('connect ECONNREFUSED'), {
    code: 'ECONNREFUSED',
    syscall: 'connect',
  });
  assert.equal(localErrorFrom(socket), undefined);
  assert.equal(localErrorFrom('text'), undefined);
});
