/**
 * Properties of the manifest validator (src/image/manifest.ts: parseManifest, checkDescriptor).
 * Manifests come from registries and files ferry does not control: any bytes must give either an
 * InvalidContentError or a result that really has the shape its type promises, since everything
 * downstream (platform selection, sizes, copies) trusts that shape without checking again.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { InvalidContentError } from '../../../src/errors.js';
import type { Descriptor, Platform } from '../../../src/image/descriptor.js';
import {
  checkDescriptor,
  imageSize,
  MAX_MANIFEST_BYTES,
  type ParsedManifest,
  parseManifest,
} from '../../../src/image/manifest.js';
import { isImageManifestType, isIndexType, MediaType } from '../../../src/image/media-types.js';
import { formatPlatform, normalizePlatform, selectPlatform } from '../../../src/image/platform.js';
import { editedJson, editOf, hostileValue, Isolated, jsonPaths, runs, setAt, typed } from './support.js';

// ---- valid documents -------------------------------------------------------------------------

const digest = fc.oneof(
  fc.stringMatching(/^[a-f0-9]{64}$/).map((h) => `sha256:${h}`),
  fc.stringMatching(/^[a-f0-9]{128}$/).map((h) => `sha512:${h}`),
);
const size = fc.oneof(fc.nat({ max: 1 << 30 }), fc.constantFrom(0, Number.MAX_SAFE_INTEGER));
const shortString = fc.string({ maxLength: 12 });
const annotations = fc.dictionary(
  fc.oneof(shortString, fc.constantFrom('org.opencontainers.image.ref.name', 'vnd.docker.reference.type')),
  shortString,
  { maxKeys: 3, noNullPrototype: true },
);
const platform: fc.Arbitrary<Platform> = fc.record(
  {
    os: fc.oneof(fc.constantFrom('linux', 'windows', 'unknown', 'Linux'), shortString),
    architecture: fc.oneof(fc.constantFrom('amd64', 'arm64', 'arm', 'x86_64', 'unknown'), shortString),
    variant: fc.oneof(fc.constantFrom('v7', 'v8', '8', ''), shortString),
    'os.version': fc.oneof(fc.constantFrom('10.0.17763', '10.0.17763.1234'), shortString),
    'os.features': fc.array(shortString, { maxLength: 2 }),
  },
  { requiredKeys: ['os', 'architecture'], noNullPrototype: true },
);

const descriptor = (mediaType: fc.Arbitrary<string>, withPlatform = false): fc.Arbitrary<Descriptor> =>
  fc.record(
    {
      mediaType,
      digest,
      size,
      urls: fc.array(fc.webUrl(), { maxLength: 2 }),
      annotations,
      artifactType: fc.constantFrom('application/vnd.example+json', 'application/spdx+json'),
      ...(withPlatform ? { platform } : {}),
    },
    {
      requiredKeys: withPlatform
        ? ['mediaType', 'digest', 'size', 'platform']
        : ['mediaType', 'digest', 'size'],
      noNullPrototype: true,
    },
  ) as fc.Arbitrary<Descriptor>;

const layerType = fc.constantFrom<string>(
  MediaType.ociLayer,
  MediaType.ociLayerGzip,
  MediaType.ociLayerZstd,
  MediaType.dockerLayerGzip,
  MediaType.dockerForeignLayerGzip,
  'application/vnd.example.artifact',
);
const manifestType = fc.constantFrom<string>(MediaType.ociManifest, MediaType.dockerManifest);

interface Doc {
  kind: 'image' | 'index';
  /** The media type the document is (declared in it or not). */
  mediaType: string;
  /** Whether the document has its own mediaType field. */
  declared: boolean;
  doc: Record<string, unknown>;
}

const optional = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined, freq: 2 });

function document(kind: Doc['kind'], mediaType: string): fc.Arbitrary<Doc> {
  const body =
    kind === 'image'
      ? fc.record(
          {
            config: descriptor(
              mediaType === MediaType.ociManifest
                ? fc.constantFrom<string>(
                    MediaType.ociConfig,
                    MediaType.ociEmpty,
                    'application/vnd.example.config+json',
                  )
                : fc.constant<string>(MediaType.dockerConfig),
            ),
            layers: fc.array(descriptor(layerType), { maxLength: 5 }),
          },
          { noNullPrototype: true },
        )
      : fc.record(
          { manifests: fc.array(descriptor(manifestType, true), { maxLength: 5 }) },
          { noNullPrototype: true },
        );
  return fc
    .tuple(
      body,
      fc.boolean(),
      optional(descriptor(manifestType)),
      optional(annotations),
      optional(fc.constant('application/vnd.example+json')),
    )
    .map(([fields, declared, subject, notes, artifactType]) => {
      const doc: Record<string, unknown> = { schemaVersion: 2 };
      if (declared) doc['mediaType'] = mediaType;
      if (artifactType !== undefined) doc['artifactType'] = artifactType;
      Object.assign(doc, fields);
      if (subject !== undefined) doc['subject'] = subject;
      if (notes !== undefined) doc['annotations'] = notes;
      return { kind, mediaType, declared, doc };
    });
}

const ociManifest = document('image', MediaType.ociManifest);
const ociIndex = document('index', MediaType.ociIndex);
const dockerManifest = document('image', MediaType.dockerManifest);
const dockerList = document('index', MediaType.dockerManifestList);
const validDoc = fc.oneof(ociManifest, ociIndex, dockerManifest, dockerList);

/** The Content-Type a registry might send with it: its type (maybe with parameters), a generic one, or none. */
const contentTypeFor = (d: Doc) =>
  fc.constantFrom<string | undefined>(
    d.mediaType,
    `${d.mediaType}; charset=utf-8`,
    ` ${d.mediaType} ;q=1`,
    'application/json',
    'application/octet-stream',
    '',
    undefined,
  );

const bytes = (v: unknown) => Buffer.from(JSON.stringify(v));

// ---- the oracle: what an accepted result must look like ---------------------------------------

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const isStringArray = (v: unknown) => Array.isArray(v) && v.every((x) => typeof x === 'string');
const isStringMap = (v: unknown) => isObject(v) && Object.values(v).every((x) => typeof x === 'string');
const optionalOk = (v: unknown, ok: (x: unknown) => boolean) => v === undefined || ok(v);
const isString = (v: unknown) => typeof v === 'string';

/** Every field src/image/descriptor.ts declares has the declared type. */
function assertDescriptorShape(d: unknown, where: string): asserts d is Descriptor {
  assert.ok(isObject(d), `${where}: not an object`);
  assert.ok(typeof d['mediaType'] === 'string' && d['mediaType'] !== '', `${where}: mediaType`);
  assert.ok(typeof d['digest'] === 'string', `${where}: digest`);
  assert.match(d['digest'], /^(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$/, `${where}: digest`);
  const size = d['size'];
  assert.ok(typeof size === 'number' && Number.isSafeInteger(size) && size >= 0, `${where}: size ${size}`);
  assert.ok(optionalOk(d['urls'], isStringArray), `${where}: urls must be strings`);
  assert.ok(optionalOk(d['annotations'], isStringMap), `${where}: annotations must map strings to strings`);
  assert.ok(optionalOk(d['artifactType'], isString), `${where}: artifactType must be a string`);
  const p = d['platform'];
  if (p !== undefined) {
    assert.ok(isObject(p), `${where}: platform`);
    assert.ok(isString(p['os']) && isString(p['architecture']), `${where}: platform os/architecture`);
    assert.ok(optionalOk(p['variant'], isString), `${where}: platform variant must be a string`);
    assert.ok(optionalOk(p['os.version'], isString), `${where}: platform os.version must be a string`);
    assert.ok(optionalOk(p['os.features'], isStringArray), `${where}: platform os.features must be strings`);
  }
}

/** The result has the shape manifest.ts's types promise, and what consumes it does not throw. */
function assertUsable(parsed: ParsedManifest, wants: readonly Platform[]): void {
  if (parsed.kind === 'index') {
    assert.ok(isIndexType(parsed.mediaType), parsed.mediaType);
    const index = parsed.index as unknown as Record<string, unknown>;
    assert.equal(index['schemaVersion'], 2);
    assert.ok(optionalOk(index['mediaType'], isString), 'index mediaType must be a string');
    assert.ok(optionalOk(index['artifactType'], isString), 'index artifactType must be a string');
    assert.ok(optionalOk(index['annotations'], isStringMap), 'index annotations must map strings to strings');
    if (index['subject'] !== undefined) assertDescriptorShape(index['subject'], 'subject');
    assert.ok(Array.isArray(parsed.index.manifests));
    parsed.index.manifests.forEach((d, i) => {
      assertDescriptorShape(d, `manifests[${i}]`);
      if (d.platform !== undefined) {
        formatPlatform(d.platform);
        normalizePlatform(d.platform);
      }
    });
    // What pull and copy do with an index: pick the entry for the requested platform.
    for (const want of wants) {
      const child = selectPlatform(parsed.index.manifests, want);
      if (child !== undefined) assert.ok(parsed.index.manifests.includes(child));
    }
  } else {
    assert.ok(isImageManifestType(parsed.mediaType), parsed.mediaType);
    const m = parsed.manifest as unknown as Record<string, unknown>;
    assert.equal(m['schemaVersion'], 2);
    assert.ok(optionalOk(m['mediaType'], isString), 'manifest mediaType must be a string');
    assert.ok(optionalOk(m['artifactType'], isString), 'manifest artifactType must be a string');
    assert.ok(optionalOk(m['annotations'], isStringMap), 'manifest annotations must map strings to strings');
    if (m['subject'] !== undefined) assertDescriptorShape(m['subject'], 'subject');
    assertDescriptorShape(parsed.manifest.config, 'config');
    assert.ok(Array.isArray(parsed.manifest.layers));
    parsed.manifest.layers.forEach((d, i) => {
      assertDescriptorShape(d, `layers[${i}]`);
    });
    assert.ok(Number.isFinite(imageSize(parsed.manifest)));
  }
}

/** Platforms as `--platform` gives them (parsePlatform's output), including os.version. */
const wanted = fc.array(
  fc.record(
    {
      os: fc.constantFrom('linux', 'windows'),
      architecture: fc.constantFrom('amd64', 'arm64', 'arm'),
      variant: fc.constantFrom('v7', 'v8'),
      'os.version': fc.constantFrom('10.0.17763', '10'),
    },
    { requiredKeys: ['os', 'architecture'], noNullPrototype: true },
  ),
  { minLength: 1, maxLength: 3 },
);

/** parseManifest gives an InvalidContentError or a usable result, nothing else. */
function check(input: Uint8Array, contentType: string | undefined, wants: readonly Platform[]) {
  const out = typed(() => parseManifest(input, contentType), [InvalidContentError]);
  if (out.ok) assertUsable(out.value, wants);
  return out;
}

// ---- mutations -------------------------------------------------------------------------------

/** Values of the wrong type for manifest fields, besides the generic hostile ones. */
const wrongValue: fc.Arbitrary<unknown> = fc.oneof(
  hostileValue,
  fc.constantFrom<unknown>(
    { os: 'linux', architecture: 'amd64', variant: 7 },
    { os: 'linux', architecture: 'amd64', 'os.version': 10 },
    { os: 'linux', architecture: 'amd64', 'os.features': 'sse4' },
    { os: 'linux', architecture: 'amd64', 'os.features': 4 },
    'text/plain',
    MediaType.ociIndex,
    MediaType.ociManifest,
    MediaType.dockerManifestList,
    MediaType.dockerManifest,
    MediaType.dockerSchema1Signed,
  ),
);

/** A key a container might be given: a spec field or something else. */
const fieldName = fc.constantFrom(
  'mediaType',
  'schemaVersion',
  'config',
  'layers',
  'manifests',
  'digest',
  'size',
  'platform',
  'variant',
  'os.version',
  'os.features',
  'annotations',
  'urls',
  'subject',
  'artifactType',
  '__proto__',
  'toString',
);

const edit = editOf(wrongValue, fieldName);
/** What HUGE arrays are made of. */
const hugeItem = { mediaType: 'a/b', digest: `sha256:${'a'.repeat(64)}`, size: 1 };

/** A valid document with 1 to 4 edits, as JSON text (deep nesting and huge arrays spliced in where asked). */
const mutated = fc
  .tuple(
    validDoc,
    fc.array(edit, { minLength: 1, maxLength: 4 }),
    fc.integer({ min: 1000, max: 200000 }),
    fc.integer({ min: 1000, max: 20000 }),
  )
  .chain(([d, edits, depth, count]) => {
    const text = editedJson(d.doc, edits, depth, count, hugeItem);
    return fc.record({ text: fc.constant(text), contentType: contentTypeFor(d) });
  });

/** Byte-level damage: truncation, a stray byte, a BOM, invalid UTF-8. */
const damaged = fc
  .tuple(
    validDoc,
    fc.nat(),
    fc.constantFrom('truncate', 'insert', 'replace'),
    fc.constantFrom<number[]>([0xef, 0xbb, 0xbf], [0xff], [0xc3], [0x00], [0x22], [0x7d], [0x5c], [0x2c]),
  )
  .map(([d, at, how, piece]) => {
    const raw = bytes(d.doc);
    const cut = at % (raw.length + 1);
    const rest = how === 'insert' ? raw.subarray(cut) : raw.subarray(cut + piece.length);
    return how === 'truncate'
      ? raw.subarray(0, cut)
      : Buffer.concat([raw.subarray(0, cut), Buffer.from(piece), rest]);
  });

describe('manifest properties', () => {
  test('valid OCI and Docker manifests and indexes are accepted as they are', () => {
    fc.assert(
      fc.property(
        validDoc.chain((d) => fc.tuple(fc.constant(d), contentTypeFor(d))),
        wanted,
        ([d, ct], wants) => {
          const out = check(bytes(d.doc), ct, wants);
          assert.ok(out.ok, `refused: ${out.ok || out.error.message}`);
          const p = out.value;
          assert.equal(p.kind, d.kind);
          const header = ct?.split(';')[0]?.trim();
          // The header decides when it names a manifest type, else the document's field, else its shape.
          const known = header === d.mediaType;
          const want =
            known || d.declared
              ? d.mediaType
              : d.kind === 'index'
                ? MediaType.ociIndex
                : MediaType.ociManifest;
          assert.equal(p.mediaType, want);
          const doc = JSON.parse(JSON.stringify(d.doc));
          assert.deepEqual(p.kind === 'index' ? p.index : p.manifest, doc, 'the document is kept as it is');
        },
      ),
      runs(500),
    );
  });

  test('a Content-Type of the other kind than the declared mediaType is refused', () => {
    const other: Record<string, string> = {
      [MediaType.ociManifest]: MediaType.ociIndex,
      [MediaType.ociIndex]: MediaType.dockerManifest,
      [MediaType.dockerManifest]: MediaType.ociManifest,
      [MediaType.dockerManifestList]: MediaType.ociIndex,
    };
    fc.assert(
      fc.property(validDoc, (d) => {
        fc.pre(d.declared);
        const out = typed(() => parseManifest(bytes(d.doc), other[d.mediaType]), [InvalidContentError]);
        assert.ok(!out.ok, 'a contradicted mediaType must be refused');
      }),
      runs(300),
    );
  });

  test('arbitrary bytes: InvalidContentError or a usable result', () => {
    const anyBytes = fc.oneof(
      fc.uint8Array({ maxLength: 200 }),
      fc.string({ unit: 'binary', maxLength: 200 }).map((s) => Buffer.from(s)),
    );
    fc.assert(
      fc.property(anyBytes, fc.option(fc.string(), { nil: undefined }), wanted, (b, ct, wants) => {
        check(b, ct, wants);
      }),
      runs(1000),
    );
  });

  test('arbitrary JSON values: InvalidContentError or a usable result', () => {
    const value = fc.oneof(
      fc.jsonValue(),
      fc.jsonValue({ maxDepth: 4 }).map((v) => ({ schemaVersion: 2, ...(isObject(v) ? v : { v }) })),
    );
    const ct = fc.option(fc.constantFrom(...Object.values(MediaType), 'application/json'), {
      nil: undefined,
    });
    fc.assert(
      fc.property(value, ct, wanted, (v, contentType, wants) => {
        check(bytes(v), contentType, wants);
      }),
      runs(1000),
    );
  });

  test('mutated manifests and indexes (wrong types, missing fields, bad digests and sizes, deep nesting, huge arrays): InvalidContentError or a usable result', () => {
    fc.assert(
      fc.property(mutated, wanted, ({ text, contentType }, wants) => {
        check(Buffer.from(text), contentType, wants);
      }),
      runs(600),
    );
  });

  test('truncated and byte-damaged documents: InvalidContentError or a usable result', () => {
    fc.assert(
      fc.property(
        damaged,
        fc.option(fc.constantFrom(...Object.values(MediaType)), { nil: undefined }),
        wanted,
        (b, ct, wants) => {
          check(b, ct, wants);
        },
      ),
      runs(500),
    );
  });

  test('checkDescriptor: InvalidContentError or a descriptor of the declared shape', () => {
    const text = fc.oneof(
      fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
      fc
        .tuple(descriptor(layerType, true), fc.array(edit, { minLength: 1, maxLength: 3 }))
        .map(([d, edits]) => editedJson(d, edits, 100000, 2000, hugeItem)),
    );
    fc.assert(
      fc.property(text, (t) => {
        const out = typed(() => checkDescriptor(JSON.parse(t), 'descriptor'), [InvalidContentError]);
        if (out.ok) assertDescriptorShape(out.value, 'descriptor');
      }),
      runs(1000),
    );
  });

  test('long hostile media types are answered in linear time (no regex backtracking)', async () => {
    // In a worker, so that a validator stuck backtracking is stopped and reported instead of hanging the run.
    const isolated = new Isolated('../../../src/image/manifest.ts');
    try {
      await isolated.call('parseManifest', [new Uint8Array()], 10_000); // start-up
      const head = fc.constantFrom('a/b', MediaType.ociLayer, 'application/', '');
      const piece = fc.constantFrom(
        ';',
        ';;',
        '; ',
        ' ;',
        ';a',
        'a;',
        ';a=b',
        '/',
        '+',
        '.',
        'a',
        '-',
        ' ',
        '\t',
        '=',
        '"',
      );
      const tail = fc.constantFrom('', ' ', '\t', '\u0001', '/', ';', '\u00e9', '"', '\n');
      // Descriptors' media types go through the RFC 6838 pattern; the others are compared as they are.
      const place = fc.oneof(
        { weight: 4, arbitrary: fc.constant('descriptor') },
        { weight: 1, arbitrary: fc.constantFrom('document', 'content-type') },
      );
      const runsOf = fc.array(fc.tuple(piece, fc.integer({ min: 1, max: 5000 })), {
        minLength: 1,
        maxLength: 3,
      });
      const hostile = fc
        .tuple(head, runsOf, tail)
        .map(([h, rs, t]) => h + rs.map(([p, n]) => p.repeat(n)).join('') + t)
        .filter((v) => v.length >= 30);
      await fc.assert(
        fc.asyncProperty(validDoc, hostile, place, fc.nat(), async (d, value, where, at) => {
          const doc = structuredClone(d.doc);
          let contentType: string | undefined;
          if (where === 'content-type') contentType = value;
          else if (where === 'document') doc['mediaType'] = value;
          else {
            const spots = jsonPaths(doc).filter((p) => p.length > 1 && p.at(-1) === 'mediaType');
            if (spots.length === 0) doc['mediaType'] = value;
            else setAt(doc, spots[at % spots.length]!, value);
          }
          const r = await isolated.call('parseManifest', [bytes(doc), contentType], 2000);
          assert.notEqual(r.status, 'timeout', `no answer in 2 s for a ${value.length}-character media type`);
          if (r.status === 'threw') assert.equal(r.name, 'InvalidContentError', r.message);
        }),
        runs(150, { endOnFailure: true }),
      );
    } finally {
      await isolated.close();
    }
  });

  test(`anything over ${MAX_MANIFEST_BYTES} bytes is refused before it is parsed`, () => {
    fc.assert(
      fc.property(validDoc, fc.integer({ min: 1, max: 4096 }), (d, extra) => {
        const text = bytes(d.doc);
        const padded = Buffer.concat([text, Buffer.alloc(MAX_MANIFEST_BYTES - text.length + extra, 0x20)]);
        const out = typed(() => parseManifest(padded), [InvalidContentError]);
        assert.ok(!out.ok, 'oversized manifest accepted');
      }),
      runs(5),
    );
  });
});
