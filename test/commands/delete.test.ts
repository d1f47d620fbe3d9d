// `ferry delete` against the real Distribution registry, skopeo as the referee: a tag-only
// delete leaves the image and its sibling tags alone, a digest delete drops every tag,
// --dry-run changes nothing, and a registry with deletes disabled gets one clear error line
// (with the storage.delete.enabled hint) and keeps the tag where it was.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { errorLine, requestsDuring } from '../harness/fixtures.js';
import { generateImage, type ImageSummary } from '../harness/images.js';
import { type Registry, startRegistry } from '../harness/registry.js';
import { ferry } from '../harness/run-ferry.js';
import { dockerRef, pushImage, registryAccess, skopeoDigestAt, skopeoListTags } from '../harness/skopeo.js';

describe('ferry delete', () => {
  let reg: Registry;
  let noDelete: Registry;
  let single: ImageSummary;
  let multi: ImageSummary;

  before(async () => {
    [reg, noDelete, single, multi] = await Promise.all([
      startRegistry('anonymous'),
      startRegistry({ deleteEnabled: false }),
      generateImage({ tag: 'v1', seed: 'del-single', layers: [300] }),
      generateImage({
        tag: 'v1',
        seed: 'del-multi',
        layers: [200],
        platforms: ['linux/amd64', 'linux/arm64'],
      }),
    ]);
  });
  after(() => Promise.all([reg, noDelete].map((r) => r?.stop())));

  const tagsOf = (r: Registry, repo: string): Promise<string[]> =>
    skopeoListTags(dockerRef(r, repo), registryAccess(r)).then((t) => t.sort());
  const exists = async (r: Registry, ref: string): Promise<number> =>
    (await ferry(['exists', `${r.host}/${ref}`])).code;

  test('tag-only delete: the tag is gone, a sibling tag on the same digest still works', async () => {
    await pushImage(reg, 'del/tag:a', single);
    await pushImage(reg, 'del/tag:b', single);
    const r = await ferry(['delete', `${reg.host}/del/tag:a`]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /deleted tag/);
    assert.equal(await exists(reg, 'del/tag:a'), 1);
    assert.equal(await exists(reg, 'del/tag:b'), 0);
    assert.equal(await skopeoDigestAt(reg, 'del/tag:b'), single.digest);
    assert.equal(await skopeoDigestAt(reg, `del/tag@${single.digest}`), single.digest);
    assert.deepEqual(await tagsOf(reg, 'del/tag'), ['b']);
  });

  test('tag-only delete of an index tag keeps the index and its children under the sibling', async () => {
    await pushImage(reg, 'del/index:a', multi);
    await pushImage(reg, 'del/index:b', multi);
    const r = await ferry(['rm', `${reg.host}/del/index:a`]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(await exists(reg, 'del/index:a'), 1);
    assert.equal(await skopeoDigestAt(reg, 'del/index:b'), multi.digest);
    for (const p of multi.platforms)
      assert.equal(await skopeoDigestAt(reg, `del/index@${p.manifestDigest}`), p.manifestDigest);
  });

  test('digest delete removes the manifest and every tag', async () => {
    await pushImage(reg, 'del/digest:x', single);
    await pushImage(reg, 'del/digest:y', single);
    await pushImage(reg, 'del/digest:keep', multi);
    const { value: r, requests } = await requestsDuring(reg, () =>
      ferry(['delete', `${reg.host}/del/digest@${single.digest}`]),
    );
    assert.equal(r.code, 0, r.stderr);
    assert.ok(
      requests.some(
        (q) =>
          q.method === 'DELETE' && q.path === `/v2/del/digest/manifests/${single.digest}` && q.status === 202,
      ),
    );
    assert.equal(await exists(reg, 'del/digest:x'), 1);
    assert.equal(await exists(reg, 'del/digest:y'), 1);
    assert.equal(await exists(reg, `del/digest@${single.digest}`), 1);
    assert.deepEqual(await tagsOf(reg, 'del/digest'), ['keep']);
    assert.equal(await skopeoDigestAt(reg, 'del/digest:keep'), multi.digest);
  });

  test('--dry-run deletes nothing (tag and digest) and sends no DELETE/PUT', async () => {
    await pushImage(reg, 'del/dry:a', single);
    await pushImage(reg, 'del/dry:b', single);
    const { value, requests } = await requestsDuring(reg, () =>
      Promise.all([
        ferry(['delete', '--dry-run', `${reg.host}/del/dry:a`]),
        ferry(['delete', '--dry-run', `${reg.host}/del/dry@${single.digest}`]),
      ]),
    );
    const [tag, digest] = value;
    assert.equal(tag.code, 0, tag.stderr);
    assert.equal(digest.code, 0, digest.stderr);
    assert.match(tag.stdout, /^would delete tag /);
    assert.match(tag.stdout, new RegExp(single.digest));
    assert.match(digest.stdout, new RegExp(`^would delete manifest ${single.digest}`));
    assert.deepEqual(
      requests.filter((q) => q.method !== 'GET' && q.method !== 'HEAD').map((q) => `${q.method} ${q.uri}`),
      [],
    );
    assert.deepEqual(await tagsOf(reg, 'del/dry'), ['a', 'b']);
    assert.equal(await skopeoDigestAt(reg, 'del/dry:a'), single.digest);
  });

  test('deleting an unknown tag fails with one line, exit non-zero', async () => {
    const r = await ferry(['delete', `${reg.host}/del/tag:nope`]);
    assert.notEqual(r.code, 0);
    assert.match(errorLine(r), /not found|unknown/i);
  });

  for (const kind of ['tag', 'digest'] as const) {
    test(`deletes disabled (storage.delete.enabled false), ${kind} delete: one line with the hint, nothing changed`, async () => {
      await pushImage(noDelete, `off/${kind}:a`, single);
      await pushImage(noDelete, `off/${kind}:b`, single);
      const ref = kind === 'tag' ? `off/${kind}:a` : `off/${kind}@${single.digest}`;
      const r = await ferry(['delete', `${noDelete.host}/${ref}`]);
      assert.notEqual(r.code, 0);
      const line = errorLine(r);
      assert.match(line, /refuses deletes|disabled/i);
      assert.match(line, /storage\.delete\.enabled/);
      // The tag was put back after the refused DELETE: both tags still on the original digest.
      assert.equal(await skopeoDigestAt(noDelete, `off/${kind}:a`), single.digest);
      assert.equal(await skopeoDigestAt(noDelete, `off/${kind}:b`), single.digest);
      assert.deepEqual(await tagsOf(noDelete, `off/${kind}`), ['a', 'b']);
    });
  }

  test('no tag and no digest: exit 2, one line naming the tag to say, and no request', async () => {
    await pushImage(reg, 'del/bare:latest', single);
    for (const input of [`${reg.host}/del/bare`, `docker://${reg.host}/del/bare`]) {
      const { value: r, requests } = await requestsDuring(reg, () => ferry(['delete', input]));
      assert.equal(r.code, 2);
      assert.equal(
        errorLine(r),
        `ferry: '${input}' names no tag or digest: delete removes one tag or one manifest ` +
          `(hint: to delete the tag latest, name it: ferry delete ${reg.host}/del/bare:latest)`,
      );
      assert.deepEqual(requests, []);
    }
    assert.equal(await skopeoDigestAt(reg, 'del/bare:latest'), single.digest);
  });

  describe('a manifest an index in the repository lists', () => {
    test('is refused without --force (exit 2), and nothing is deleted', async () => {
      await pushImage(reg, 'del/child:v1', multi);
      const child = multi.platforms[1]!.manifestDigest;
      const { value: r, requests } = await requestsDuring(reg, () =>
        ferry(['delete', `${reg.host}/del/child@${child}`]),
      );
      assert.equal(r.code, 2);
      assert.equal(
        errorLine(r),
        `ferry: refusing to delete ${child}: the index tagged v1 in ${reg.host}/del/child would name a manifest that is gone (hint: pass --force to delete it anyway)`,
      );
      assert.deepEqual(
        requests.filter((q) => q.method === 'DELETE' || q.method === 'PUT'),
        [],
      );
      assert.equal(await skopeoDigestAt(reg, `del/child@${child}`), child);
    });

    test('--dry-run says it would need --force; --json lists the index tags', async () => {
      await pushImage(reg, 'del/child-dry:v1', multi);
      await pushImage(reg, 'del/child-dry:v2', multi);
      const child = multi.platforms[0]!.manifestDigest;
      const r = await ferry(['delete', '--dry-run', '--json', `${reg.host}/del/child-dry@${child}`]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(
        r.stderr,
        `ferry: warning: the indexes tagged v1, v2 list ${child}: deleting it needs --force\n`,
      );
      assert.deepEqual((JSON.parse(r.stdout) as { namedBy: string[] }).namedBy, ['v1', 'v2']);
      assert.equal(await skopeoDigestAt(reg, `del/child-dry@${child}`), child);
    });

    test('--force deletes it and warns that the index now names a missing manifest', async () => {
      await pushImage(reg, 'del/child-force:v1', multi);
      const child = multi.platforms[1]!.manifestDigest;
      const r = await ferry(['delete', '--force', `${reg.host}/del/child-force@${child}`]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(
        r.stderr,
        new RegExp(`^ferry: warning: the index tagged v1 still lists ${child}, which is gone$`, 'm'),
      );
      assert.equal(await exists(reg, `del/child-force@${child}`), 1);
      assert.equal(await skopeoDigestAt(reg, 'del/child-force:v1'), multi.digest);
    });
  });
});
