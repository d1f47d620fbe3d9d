// Each *Json function builds exactly the shape it declares (so the documented shape is the printed
// one), and docs/output.md carries the current field tables.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, test } from 'node:test';
import type { CopySummary } from '../../../src/copy/events.js';
import type { SyncItem } from '../../../src/copy/sync/plan.js';
import { ALL_TAGS } from '../../../src/copy/sync/tags.js';
import { NotFoundError } from '../../../src/errors.js';
import type { TagDescription } from '../../../src/registry/describe.js';
import type { FieldType, ObjectType } from '../../../src/ui/shape.js';
import {
  artifactFileJson,
  artifactJson,
  artifactShape,
  buildJson,
  buildShape,
  catalogItem,
  catalogItemShape,
  catalogJson,
  catalogShape,
  configJson,
  configShape,
  deleteJson,
  deleteShape,
  digestJson,
  digestShape,
  existsJson,
  existsShape,
  failedJson,
  manifestJson,
  manifestShape,
  ratelimitJson,
  ratelimitShape,
  referrerItem,
  referrerItemShape,
  referrersJson,
  referrersShape,
  syncJson,
  syncShape,
  tagItem,
  tagItemShape,
  tagJson,
  tagRowJson,
  tagRowShape,
  tagRowsJson,
  tagRowsShape,
  tagShape,
  tagsJson,
  tagsShape,
  transferJson,
  transferShape,
} from '../../../src/ui/shapes/index.js';
import { spliceShapesDoc } from '../../../src/ui/shapes-doc.js';

function conforms(value: unknown, type: FieldType, path: string): void {
  switch (type.kind) {
    case 'any':
      return;
    case 'list':
      assert.ok(Array.isArray(value), `${path} is a list`);
      for (const [i, v] of value.entries()) conforms(v, type.of, `${path}[${i}]`);
      return;
    case 'object': {
      assert.ok(value !== null && typeof value === 'object', `${path} is an object`);
      const record = value as Record<string, unknown>;
      assert.deepEqual(Object.keys(record), Object.keys(type.fields), `${path}: keys, in the declared order`);
      for (const [key, field] of Object.entries(type.fields))
        conforms(record[key], field.type, `${path}.${key}`);
      return;
    }
    default:
      if (value === null) assert.ok(type.nullable, `${path} may be null`);
      else assert.equal(typeof value, type.kind, `${path} is a ${type.kind}`);
  }
}

const description: TagDescription = {
  tag: 'v1',
  digest: `sha256:${'a'.repeat(64)}`,
  mediaType: 'application/vnd.oci.image.index.v1+json',
  platforms: ['linux/amd64'],
  platformList: [{ os: 'linux', architecture: 'amd64' }],
  size: 10,
  created: undefined,
};
const summary: CopySummary = {
  descriptor: { digest: description.digest, mediaType: description.mediaType, size: 3 },
  sourceDigest: description.digest,
  outcome: 'copied',
  copied: 1,
  skipped: 2,
  mounted: 0,
  bytes: 100,
  manifests: 1,
  changes: [
    {
      kind: 'compressed',
      from: { mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: description.digest, size: 9 },
      to: { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: description.digest, size: 5 },
      reason: 'asked',
    },
  ],
};
const listed = {
  subject: description.digest,
  depth: 1,
  descriptor: {
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    digest: description.digest,
    size: 5,
    artifactType: 'application/spdx+json',
    annotations: { a: 'b' },
  },
};
const registry = { kind: 'registry', ref: { registry: 'r.example', repository: 'a/b', tag: 'v1' } } as const;

const syncItem: SyncItem = {
  entry: {
    index: 1,
    name: 'sync[1] (r.example/a/b)',
    type: 'repository',
    source: { registry: 'r.example', repository: 'a/b' },
    target: { registry: 'r.example', repository: 'm/b' },
    tags: ALL_TAGS,
    platforms: undefined,
    referrers: false,
  },
  source: registry,
  destination: registry,
  sourceRef: registry.ref,
  destinationRef: registry.ref,
  label: 'r.example/a/b:v1 → r.example/m/b:v1',
};

const cases: Array<[name: string, value: unknown, shape: ObjectType]> = [
  ['catalogJson', catalogJson('r.example', ['a', 'b']), catalogShape],
  ['catalogJson with next', catalogJson('r.example', ['a'], 'a'), catalogShape],
  ['catalogItem', catalogItem('r.example', 'a/b'), catalogItemShape],
  ['tagsJson', tagsJson('r.example/a', ['1', '2']), tagsShape],
  ['tagRowJson (no created)', tagRowJson(description), tagRowShape],
  ['tagRowJson', tagRowJson({ ...description, created: '2024-01-01T00:00:00Z' }), tagRowShape],
  ['tagItem (described)', tagItem('r.example/a', 'v1', description), tagItemShape],
  ['tagRowsJson', tagRowsJson('r.example/a', [tagRowJson(description)], 'v1'), tagRowsShape],
  ['tagRowsJson (last page)', tagRowsJson('r.example/a', []), tagRowsShape],
  ['tagJson', tagJson('r.example/a:v2', 'r.example/a:v1', description), tagShape],
  ['digestJson', digestJson('r.example/a:v1', description.digest), digestShape],
  ['digestJson --platform', digestJson('r.example/a:v1', description.digest, 'linux/arm64'), digestShape],
  [
    'manifestJson',
    manifestJson('r.example/a:v1', { ...description, bytes: Buffer.from('{"schemaVersion":2}') }),
    manifestShape,
  ],
  ['existsJson', existsJson('r.example/a:v1', true, description.digest), existsShape],
  ['existsJson absent', existsJson('r.example/a:v1', false), existsShape],
  [
    'deleteJson',
    deleteJson('r.example/a:v1', { kind: 'tag', digest: description.digest, namedBy: [] }, true),
    deleteShape,
  ],
  ['transferJson', transferJson(registry, { kind: 'oci', path: '/x', tag: 'v1' }, summary), transferShape],
  [
    'transferJson existing',
    transferJson(registry, registry, { ...summary, outcome: 'existing' }),
    transferShape,
  ],
  ['failedJson', failedJson(registry, registry, 'gone'), transferShape],
  ['syncJson copied', syncJson({ item: syncItem, outcome: 'copied', summary }), syncShape],
  [
    'syncJson in-step',
    syncJson({ item: syncItem, outcome: 'in-step', summary: { ...summary, outcome: 'in-step' } }),
    syncShape,
  ],
  ['syncJson filtered', syncJson({ item: syncItem, outcome: 'filtered', reason: 'deny' }), syncShape],
  ['syncJson would-copy', syncJson({ item: syncItem, outcome: 'would-copy', sourceDigest: 'd' }), syncShape],
  [
    'syncJson failed',
    syncJson({ item: syncItem, outcome: 'failed', error: new NotFoundError('gone') }),
    syncShape,
  ],
  [
    'buildJson (index)',
    buildJson(registry, summary, {
      manifests: [
        { ...summary.descriptor, platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
        summary.descriptor,
      ],
      removed: [summary.descriptor],
      tags: ['v1', 'latest'],
    }),
    buildShape,
  ],
  [
    'buildJson (append)',
    buildJson(registry, summary, {
      manifests: [summary.descriptor],
      changed: [
        { platform: 'linux/amd64', from: summary.descriptor, to: summary.descriptor },
        { platform: undefined, to: summary.descriptor },
      ],
      tags: [],
    }),
    buildShape,
  ],
  [
    'transferJson with referrers',
    transferJson(registry, registry, { ...summary, referrers: { followed: true, copied: 2, left: 0 } }),
    transferShape,
  ],
  [
    'transferJson with referrers not counted',
    transferJson(registry, registry, { ...summary, referrers: { followed: false, copied: 0, left: null } }),
    transferShape,
  ],
  ['referrerItem', referrerItem(listed), referrerItemShape],
  [
    'artifactJson (pushed with a subject)',
    artifactJson('r.example/a@d', 'v1', summary.descriptor, 'application/x', listed.descriptor, [
      artifactFileJson('notes.txt', '/tmp/notes.txt', listed.descriptor),
    ]),
    artifactShape,
  ],
  [
    'artifactJson (no tag, no subject, no type)',
    artifactJson('r.example/a:v1', undefined, summary.descriptor, undefined, undefined, []),
    artifactShape,
  ],
  ['referrerItem (legacy tag)', referrerItem({ ...listed, tag: 'sha256-aa.sig' }), referrerItemShape],
  [
    'referrersJson',
    referrersJson('r.example/a:v1', { subject: summary.descriptor, referrers: [listed] }),
    referrersShape,
  ],
  [
    'configJson',
    configJson('r.example/a:v1', { digest: 'd', bytes: Buffer.from('{"os":"linux"}') }),
    configShape,
  ],
  [
    'ratelimitJson',
    ratelimitJson({ limit: 100, remaining: null, windowSeconds: 21600, resetSeconds: null, source: null }),
    ratelimitShape,
  ],
];

describe('every output function builds its declared shape', () => {
  for (const [name, value, shape] of cases) test(name, () => conforms(value, shape, name));

  test('an undescribed ls item has only the fields ls has without describing', () => {
    assert.deepEqual(tagItem('r.example/a', 'v1'), { repository: 'r.example/a', tag: 'v1' });
  });

  test('delete kinds: tag, or manifest for a digest', () => {
    assert.equal(deleteJson('x', { kind: 'digest', digest: 'd', namedBy: ['v1'] }, false).kind, 'manifest');
  });
});

test('docs/output.md has the current field tables (else: npm run docs)', async () => {
  const doc = await readFile(new URL('../../../docs/output.md', import.meta.url), 'utf8');
  assert.equal(doc, spliceShapesDoc(doc));
});
