import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { entryFor, parseRegistriesFile, registriesFilePath } from '../../../src/settings/registries-file.js';

const FILE = '/etc/ferry/registries.yaml';
const ENV = { HOME: '/home/me' };

describe('registries.yaml: parsing and lookup', () => {
  const file = parseRegistriesFile(
    {
      registries: {
        'reg.example': { insecure: true, 'ca-file': 'ca.pem' },
        'reg.example:5000': { 'plain-http': true },
        'docker.io': { 'client-cert': '~/c.cert', 'client-key': '/abs/c.key' },
        'empty.example': null,
      },
    },
    FILE,
    ENV,
  );

  test('paths: relative to the file, ~ under HOME, absolute as they are', () => {
    assert.deepEqual(entryFor(file, 'reg.example')?.entry, { insecure: true, caFile: '/etc/ferry/ca.pem' });
    assert.deepEqual(entryFor(file, 'docker.io')?.entry, {
      clientCert: '/home/me/c.cert',
      clientKey: '/abs/c.key',
    });
  });

  // [host:port asked for, key expected or undefined]
  const lookups: Array<[string, string | undefined]> = [
    ['reg.example', 'reg.example'],
    ['reg.example:443', 'reg.example'], // a host-only key: any port
    ['reg.example:5000', 'reg.example:5000'], // the port's own entry wins
    ['REG.example:5000', 'reg.example:5000'],
    ['other.example', undefined],
    ['sub.reg.example', undefined],
    ['registry-1.docker.io', 'docker.io'], // Docker Hub's aliases
    ['index.docker.io', 'docker.io'],
    ['empty.example:1', 'empty.example'],
  ];
  for (const [host, key] of lookups) {
    test(`${host} → ${key ?? 'no entry'}`, () => assert.equal(entryFor(file, host)?.key, key));
  }

  test('an empty document is no settings', () => {
    assert.deepEqual(parseRegistriesFile(null, FILE, ENV).entries, []);
    assert.deepEqual(parseRegistriesFile({ registries: null }, FILE, ENV).entries, []);
  });
});

describe('registries.yaml: where it is', () => {
  const cases: Array<[NodeJS.ProcessEnv, string | undefined]> = [
    [{ FERRY_REGISTRIES_CONFIG: '/x/r.yaml', XDG_CONFIG_HOME: '/xdg', HOME: '/h' }, '/x/r.yaml'],
    [{ FERRY_REGISTRIES_CONFIG: '', XDG_CONFIG_HOME: '/xdg' }, undefined],
    [{ XDG_CONFIG_HOME: '/xdg', HOME: '/h' }, '/xdg/ferry/registries.yaml'],
    [{ XDG_CONFIG_HOME: '', HOME: '/h' }, '/h/.config/ferry/registries.yaml'],
    [{}, undefined],
  ];
  for (const [env, path] of cases) {
    test(`${JSON.stringify(env)} → ${path ?? 'none'}`, () =>
      assert.equal(registriesFilePath(env)?.path, path));
  }
});
