// The I/O-free parts of referrers and artifacts: the referrers tag schema (the spec's own table),
// legacy cosign tags, the descriptor a referrers list holds, what a referrers tag may be read as,
// merging, the artifact manifest, and the checks on pulled file names.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { digestOf } from '../../../src/digest/index.js';
import { InvalidContentError } from '../../../src/errors.js';
import {
  artifactFiles,
  artifactManifest,
  MAX_ARTIFACT_FILES,
  titlePath,
} from '../../../src/image/artifact.js';
import { parseManifest } from '../../../src/image/manifest.js';
import { MediaType } from '../../../src/image/media-types.js';
import {
  EMPTY_DESCRIPTOR,
  EMPTY_JSON,
  isReferrersTag,
  legacyKindOf,
  legacyTags,
  mergeReferrers,
  readReferrersIndex,
  referrerDescriptor,
  referrerOf,
  referrersIndexBytes,
  referrersTag,
  TITLE_ANNOTATION,
  untaggedEntry,
} from '../../../src/image/referrers.js';

const hex = (c: string) => c.repeat(64);
const digest = (c: string) => `sha256:${hex(c)}`;
const d = (c: string, mediaType: string = MediaType.ociManifest, size = 10) => ({
  mediaType,
  digest: digest(c),
  size,
});
const bytes = (v: unknown) => Buffer.from(JSON.stringify(v));

describe('referrers tag schema (distribution-spec "Referrers Tag Schema")', () => {
  test("the spec's examples", () => {
    assert.equal(referrersTag(`sha256:${'a'.repeat(64)}`), `sha256-${'a'.repeat(64)}`);
    assert.equal(referrersTag(`sha512:${'a'.repeat(128)}`), `sha512-${'a'.repeat(64)}`);
    assert.equal(
      referrersTag(
        'test+algorithm+using+algorithm+separators+and+lots+of+characters+to+excercise+overall+truncation:alsoSome=InTheEncodedSectionToShowHyphenReplacementAndLotsAndLotsOfCharactersToExcerciseEncodedTruncation',
      ),
      'test-algorithm-using-algorithm-s-alsoSome-InTheEncodedSectionToShowHyphenReplacementAndLotsAndLot',
    );
  });

  test('legacy cosign tags: .sig, .att, .sbom, and nothing else reads as one', () => {
    assert.deepEqual(
      legacyTags(digest('b')).map((t) => t.tag),
      ['sig', 'att', 'sbom'].map((s) => `sha256-${hex('b')}.${s}`),
    );
    assert.equal(legacyKindOf(`sha256-${hex('b')}.sig`), 'sig');
    assert.equal(legacyKindOf(`sha256-${hex('b')}.sig2`), undefined);
    assert.equal(legacyKindOf(`sha256-${hex('b')}`), undefined);
    assert.equal(legacyKindOf('v1.sig'), undefined);
    assert.ok(isReferrersTag(`sha256-${hex('b')}`));
    assert.ok(isReferrersTag(`sha256-${hex('b')}.att`));
    assert.ok(!isReferrersTag('sha256-short'));
    assert.ok(!isReferrersTag('latest'));
  });
});

describe('the descriptor a referrers list holds ("Pushing Manifests with Subject")', () => {
  const config = d('c', 'application/vnd.example.config');
  test('artifactType from the manifest, annotations copied', () => {
    const doc = {
      schemaVersion: 2,
      mediaType: MediaType.ociManifest,
      artifactType: 'application/spdx+json',
      config,
      layers: [],
      subject: d('5'),
      annotations: { 'org.example': 'x' },
    };
    const entry = referrerDescriptor(d('7'), parseManifest(bytes(doc)));
    assert.deepEqual(entry, {
      ...d('7'),
      artifactType: 'application/spdx+json',
      annotations: { 'org.example': 'x' },
    });
  });

  test("without artifactType, an image manifest's config media type; an index has none", () => {
    const image = { schemaVersion: 2, mediaType: MediaType.ociManifest, config, layers: [] };
    assert.equal(referrerDescriptor(d('7'), parseManifest(bytes(image))).artifactType, config.mediaType);
    const index = { schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: [] };
    assert.equal(
      referrerDescriptor(d('7', MediaType.ociIndex), parseManifest(bytes(index))).artifactType,
      undefined,
    );
  });

  test('referrerOf: the subject and the entry; undefined without a subject', () => {
    const doc = bytes({
      schemaVersion: 2,
      mediaType: MediaType.ociManifest,
      config,
      layers: [],
      subject: d('5'),
    });
    const found = referrerOf(
      { mediaType: MediaType.ociManifest, digest: digestOf(doc), size: doc.length },
      doc,
    );
    assert.equal(found?.subject.digest, digest('5'));
    assert.equal(found?.referrer.digest, digestOf(doc));
    const plain = bytes({ schemaVersion: 2, mediaType: MediaType.ociManifest, config, layers: [] });
    assert.equal(referrerOf({ ...d('p'), digest: digestOf(plain), size: plain.length }, plain), undefined);
  });

  test('an index.json entry for a referrer never carries a ref.name', () => {
    const entry = untaggedEntry({
      ...d('7'),
      annotations: { 'org.opencontainers.image.ref.name': 'sneaky', keep: 'me' },
    });
    assert.deepEqual(entry.annotations, { keep: 'me' });
  });
});

describe('what the referrers tag may be read as', () => {
  const index = parseManifest(referrersIndexBytes([d('1'), d('2')]));
  test('an OCI index that is not the subject: its entries', () => {
    assert.deepEqual(readReferrersIndex(index, digest('f'), digest('5')), { referrers: [d('1'), d('2')] });
  });
  test("GitLab's answer, the subject itself, is no referrers list", () => {
    const read = readReferrersIndex(index, digest('5'), digest('5'));
    assert.ok('problem' in read && /the subject itself/.test(read.problem));
  });
  test('an image manifest, or a Docker list, is no referrers list', () => {
    const image = parseManifest(
      bytes({ schemaVersion: 2, mediaType: MediaType.ociManifest, config: d('c'), layers: [] }),
    );
    assert.ok('problem' in readReferrersIndex(image, digest('f'), digest('5')));
    const list = parseManifest(
      bytes({ schemaVersion: 2, mediaType: MediaType.dockerManifestList, manifests: [] }),
    );
    assert.ok('problem' in readReferrersIndex(list, digest('f'), digest('5')));
  });
  test('merging keeps what is there, adds once, and says whether anything changed', () => {
    assert.deepEqual(mergeReferrers([d('1')], [d('2'), d('1'), d('2')]), {
      referrers: [d('1'), d('2')],
      changed: true,
    });
    assert.equal(mergeReferrers([d('1')], [d('1')]).changed, false);
  });
});

describe('artifact manifests (image-spec "Guidance for artifacts")', () => {
  test('the empty config, titled layers, artifactType, subject; the same input gives the same bytes', () => {
    const layer = { ...d('e', 'text/plain', 5), annotations: { [TITLE_ANNOTATION]: 'notes.txt' } };
    const built = artifactManifest({ artifactType: 'application/vnd.x', layers: [layer], subject: d('5') });
    assert.deepEqual(
      built,
      artifactManifest({ artifactType: 'application/vnd.x', layers: [layer], subject: d('5') }),
    );
    const doc = JSON.parse(built.toString('utf8'));
    assert.deepEqual(doc.config, EMPTY_DESCRIPTOR);
    assert.equal(EMPTY_DESCRIPTOR.digest, digestOf(EMPTY_JSON));
    assert.equal(doc.artifactType, 'application/vnd.x');
    assert.deepEqual(doc.layers, [layer]);
    assert.deepEqual(doc.subject, d('5'));
    assert.equal(parseManifest(built).kind, 'image');
  });
  test('without files, the one layer is the empty descriptor', () => {
    const doc = JSON.parse(
      artifactManifest({ artifactType: 'application/vnd.x', layers: [] }).toString('utf8'),
    );
    assert.deepEqual(doc.layers, [EMPTY_DESCRIPTOR]);
  });
});

describe('pulled file names', () => {
  const refused = (title: string, why: RegExp) =>
    assert.throws(
      () => titlePath(title),
      (e: unknown) => e instanceof InvalidContentError && why.test(e.message),
    );
  test('plain and nested names are kept, normalised', () => {
    assert.equal(titlePath('sbom.json'), 'sbom.json');
    assert.equal(titlePath('docs/./a.txt'), 'docs/a.txt');
    assert.equal(titlePath('a//b'), 'a/b');
  });
  test('hostile names are refused, each with its reason', () => {
    refused('../etc/passwd', /out of the directory/);
    refused('a/../../b', /out of the directory/);
    refused('..', /out of the directory/);
    refused('/etc/passwd', /absolute/);
    refused('a\\..\\b', /backslash/);
    refused('', /empty/);
    refused('.', /no file name/);
    refused('evil\nname', /control character/);
    refused('dir/', /directory/);
    refused('x'.repeat(300), /too long/);
  });

  const manifest = (titles: (string | undefined)[]) =>
    ({
      schemaVersion: 2,
      config: EMPTY_DESCRIPTOR,
      layers: titles.map((t, i) => ({
        ...d(String(i % 10)),
        ...(t === undefined ? {} : { annotations: { [TITLE_ANNOTATION]: t } }),
      })),
    }) as Parameters<typeof artifactFiles>[0];

  test('untitled layers are counted, not written', () => {
    const { files, untitled } = artifactFiles(manifest(['a', undefined, 'b']));
    assert.deepEqual(
      files.map((f) => f.path),
      ['a', 'b'],
    );
    assert.equal(untitled, 1);
  });
  test('duplicates (after normalising), a file that is also a directory, and too many layers are refused', () => {
    assert.throws(() => artifactFiles(manifest(['a', './a'])), /twice/);
    assert.throws(() => artifactFiles(manifest(['a', 'a/b'])), /as a file and as the directory/);
    assert.throws(
      () => artifactFiles(manifest(Array.from({ length: MAX_ARTIFACT_FILES + 1 }, (_, i) => `f${i}`))),
      /more than the 1000/,
    );
  });
});
