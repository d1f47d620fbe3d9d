// How a read command's argument is understood (store/detect.ts readLocation), without a registry:
// explicit transports, docker://, paths that exist or look like paths, and the note a word that
// reads as a file name carries when it is taken for a Docker Hub image.
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { FerryError, LocalError, NotFoundError, RefError } from '../../../src/errors.js';
import { explained, readLocation, readRepositoryLocation } from '../../../src/store/detect.js';
import { makeTempDir } from '../../harness/tmp.js';

describe('readLocation', () => {
  const cases: Array<[string, unknown]> = [
    ['oci:/x/layout:v1', { kind: 'oci', path: '/x/layout', tag: 'v1' }],
    ['oci-archive:/x/a.tar', { kind: 'oci-archive', path: '/x/a.tar', tag: undefined }],
    ['docker-archive:/x/s.tar:app:1', { kind: 'docker-archive', path: '/x/s.tar', ref: 'app:1' }],
    [
      'docker://ghcr.io/a/b:1',
      { kind: 'registry', ref: { registry: 'ghcr.io', repository: 'a/b', tag: '1' } },
    ],
    [
      'ghcr.io/a/b@sha256:' + 'a'.repeat(64),
      {
        kind: 'registry',
        ref: { registry: 'ghcr.io', repository: 'a/b', digest: `sha256:${'a'.repeat(64)}` },
      },
    ],
    [
      'alpine',
      { kind: 'registry', ref: { registry: 'docker.io', repository: 'library/alpine', tag: 'latest' } },
    ],
  ];
  for (const [input, location] of cases) {
    test(input, async () => {
      const read = await readLocation(input);
      assert.deepEqual(read.location, location);
      assert.equal(read.note, undefined);
    });
  }

  test('a word that reads as a file name and is no file here: a registry reference, with a note', async () => {
    for (const input of ['image.tar', 'team/image.tar:v1', 'saved.tgz']) {
      const read = await readLocation(input);
      assert.equal(read.location.kind, 'registry');
      assert.match(read.note ?? '', /was read as docker\.io\/.*: no file or directory of that name is here$/);
    }
    // A host given: nothing was defaulted, so no note.
    assert.equal((await readLocation('ghcr.io/a/image.tar')).note, undefined);
  });

  test('paths that do not exist: LocalError naming why it was read as a path', async () => {
    for (const input of ['./x', '../x', '/nonexistent-ferry/x', '~/x']) {
      await assert.rejects(readLocation(input), (err: unknown) => {
        assert.ok(err instanceof LocalError, String(err));
        assert.match(err.message, /no such file or directory \(read as a path, since it starts with '/);
        return true;
      });
    }
  });

  test('an existing layout and archive, with and without :TAG', async () => {
    const dir = await makeTempDir('detect');
    const layout = join(dir, 'layout');
    await mkdir(layout);
    await writeFile(join(layout, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
    assert.deepEqual((await readLocation(layout)).location, { kind: 'oci', path: layout, tag: undefined });
    assert.deepEqual((await readLocation(`${layout}:v2`)).location, { kind: 'oci', path: layout, tag: 'v2' });
  });

  test('a reference that is no valid name stays a RefError', async () => {
    await assert.rejects(readLocation('Foo/Bar'), RefError);
  });
});

describe('readRepositoryLocation', () => {
  test('docker://HOST/REPO is a repository; a tag is refused as for a plain name', async () => {
    assert.deepEqual((await readRepositoryLocation('docker://ghcr.io/a/b')).location, {
      kind: 'registry',
      ref: { registry: 'ghcr.io', repository: 'a/b' },
    });
    await assert.rejects(readRepositoryLocation('docker://ghcr.io/a/b:1'), RefError);
    await assert.rejects(readRepositoryLocation('ghcr.io/a/b:1'), RefError);
  });
});

describe('explained', () => {
  test('a failure gains the note as its hint, keeping its code', async () => {
    const read = await readLocation('image.tar');
    await assert.rejects(
      explained(read, async () => {
        throw new NotFoundError('manifest docker.io/library/image.tar:latest not found');
      }),
      (err: unknown) => {
        assert.ok(err instanceof FerryError);
        assert.equal(err.code, 'E_NOT_FOUND');
        assert.equal(err.exitCode, 1);
        assert.equal(err.hint, read.note);
        return true;
      },
    );
  });
  test('without a note, the error passes unchanged', async () => {
    const original = new NotFoundError('x');
    await assert.rejects(
      explained({ location: { kind: 'oci', path: '/x' } }, async () => {
        throw original;
      }),
      (err: unknown) => err === original,
    );
  });
});
