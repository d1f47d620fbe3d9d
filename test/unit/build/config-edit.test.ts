import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { buildTime, parseCreated } from '../../../src/build/build-time.js';
import {
  appendLayers,
  applyChanges,
  configPlatform,
  parseCommand,
  parseKeyValue,
} from '../../../src/build/config-edit.js';

describe('build time', () => {
  test('--created wins over SOURCE_DATE_EPOCH; either sets created and file times', () => {
    assert.deepEqual(buildTime('2024-05-01T12:00:00Z', { SOURCE_DATE_EPOCH: '0' }), {
      created: '2024-05-01T12:00:00Z',
      mtimeSeconds: 1714564800,
    });
    assert.deepEqual(buildTime(undefined, { SOURCE_DATE_EPOCH: '1714564800' }), {
      created: '2024-05-01T12:00:00Z',
      mtimeSeconds: 1714564800,
    });
  });

  test('with neither, nothing follows the clock: created kept, files at the epoch', () => {
    assert.deepEqual(buildTime(undefined, {}), { created: undefined, mtimeSeconds: 0 });
    assert.deepEqual(buildTime(undefined, { SOURCE_DATE_EPOCH: '' }), {
      created: undefined,
      mtimeSeconds: 0,
    });
  });

  test('RFC 3339 with offsets and fractions, dates, and epoch seconds', () => {
    assert.equal(parseCreated('2024-05-01T14:00:00+02:00').created, '2024-05-01T12:00:00Z');
    assert.equal(parseCreated('2024-05-01T12:00:00.999Z').created, '2024-05-01T12:00:00Z');
    assert.equal(parseCreated('2024-05-01').created, '2024-05-01T00:00:00Z');
    assert.equal(parseCreated('0').created, '1970-01-01T00:00:00Z');
  });

  for (const bad of ['yesterday', '2024-13-01', '-5', '1e9', '2024-05-01T12:00']) {
    test(`refuses ${JSON.stringify(bad)} (E_USAGE)`, () => {
      assert.throws(() => parseCreated(bad), { code: 'E_USAGE' });
    });
  }

  test('a SOURCE_DATE_EPOCH that is not whole seconds is a usage error', () => {
    assert.throws(() => buildTime(undefined, { SOURCE_DATE_EPOCH: 'now' }), { code: 'E_USAGE' });
  });
});

describe('config edits', () => {
  const base = () => ({
    created: '2024-01-01T00:00:00Z',
    architecture: 'arm',
    os: 'linux',
    variant: 'v7',
    config: { Env: ['PATH=/bin', 'MODE=dev'], Labels: { keep: 'yes' }, Cmd: ['/bin/sh'] },
    rootfs: { type: 'layers', diff_ids: ['sha256:aa'] },
    history: [{ created: '2024-01-01T00:00:00Z', created_by: 'base' }],
    unknownField: { kept: true },
  });

  test('labels merge, env replaces by name or appends, fields set, unknown fields kept in place', () => {
    const doc = base();
    applyChanges(doc, {
      labels: { a: 'b' },
      env: { MODE: 'prod', NEW: 'x=y' },
      entrypoint: ['/app'],
      cmd: null,
      user: '1000:1000',
      workdir: '/srv',
      created: '2025-01-01T00:00:00Z',
    });
    assert.deepEqual(doc.config, {
      Env: ['PATH=/bin', 'MODE=prod', 'NEW=x=y'],
      Labels: { keep: 'yes', a: 'b' },
      Cmd: null,
      Entrypoint: ['/app'],
      User: '1000:1000',
      WorkingDir: '/srv',
    });
    assert.equal(doc.created, '2025-01-01T00:00:00Z');
    assert.deepEqual(Object.keys(doc), Object.keys(base()));
  });

  test('appended layers add diff_ids and history entries dated with created', () => {
    const doc = base();
    appendLayers(doc, [{ diffId: 'sha256:bb', createdBy: 'ferry append app' }], 'config');
    assert.deepEqual(doc.rootfs.diff_ids, ['sha256:aa', 'sha256:bb']);
    assert.deepEqual(doc.history.at(-1), { created: '2024-01-01T00:00:00Z', created_by: 'ferry append app' });
  });

  test('a config with layers but no history gets none (it would pair with the wrong layers)', () => {
    const { history: _history, ...doc } = base();
    appendLayers(doc, [{ diffId: 'sha256:bb', createdBy: 'x' }], 'config');
    assert.equal('history' in doc, false);
  });

  test('a config without rootfs is not an image config', () => {
    assert.throws(() => appendLayers({ os: 'linux' }, [], 'config'), { code: 'E_INVALID_CONTENT' });
  });

  test('the platform comes from the config, os.version and os.features included', () => {
    assert.deepEqual(configPlatform(base()), { architecture: 'arm', os: 'linux', variant: 'v7' });
    assert.deepEqual(
      configPlatform({
        os: 'windows',
        architecture: 'amd64',
        'os.version': '10.0.17763.1',
        'os.features': ['win32k'],
      }),
      { os: 'windows', architecture: 'amd64', 'os.version': '10.0.17763.1', 'os.features': ['win32k'] },
    );
    assert.equal(configPlatform({ os: '', architecture: '' }), undefined);
  });

  test('KEY=VALUE: the value may be empty or hold =; no = or no key is a usage error', () => {
    assert.deepEqual(parseKeyValue('a=b=c', '--label'), ['a', 'b=c']);
    assert.deepEqual(parseKeyValue('a=', '--label'), ['a', '']);
    assert.throws(() => parseKeyValue('novalue', '--label'), {
      code: 'E_USAGE',
      message: /--label must be KEY=VALUE/,
    });
    assert.throws(() => parseKeyValue('=x', '--env'), { code: 'E_USAGE' });
  });

  test('commands: a JSON array, words, or empty to clear', () => {
    assert.deepEqual(parseCommand('["/app", "a b"]', '--cmd'), ['/app', 'a b']);
    assert.deepEqual(parseCommand('/app  --port 80', '--cmd'), ['/app', '--port', '80']);
    assert.equal(parseCommand('', '--cmd'), null);
    assert.throws(() => parseCommand('[1, 2]', '--cmd'), { code: 'E_USAGE' });
    assert.throws(() => parseCommand('[oops', '--cmd'), { code: 'E_USAGE' });
  });
});
