import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { NotFoundError, UsageError } from '../../../src/errors.js';
import type { Descriptor, Platform } from '../../../src/image/descriptor.js';
import { MediaType } from '../../../src/image/media-types.js';
import {
  formatPlatform,
  type HostInfo,
  hostPlatform,
  normalizePlatform,
  parsePlatform,
  platformMatches,
  requirePlatform,
  selectPlatform,
} from '../../../src/image/platform.js';

describe('parsePlatform', () => {
  const valid: Array<{ input: string; want: Platform }> = [
    { input: 'linux/amd64', want: { os: 'linux', architecture: 'amd64' } },
    { input: 'linux/arm64/v8', want: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
    { input: 'linux/arm/v7', want: { os: 'linux', architecture: 'arm', variant: 'v7' } },
    { input: 'linux/arm64/v8.2', want: { os: 'linux', architecture: 'arm64', variant: 'v8.2' } },
    { input: 'Linux/ARM64/V8', want: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
    { input: '  linux/amd64  ', want: { os: 'linux', architecture: 'amd64' } },
    { input: 'linux/x86_64', want: { os: 'linux', architecture: 'x86_64' } },
    { input: 'linux/ppc64le', want: { os: 'linux', architecture: 'ppc64le' } },
    { input: 'linux/386', want: { os: 'linux', architecture: '386' } },
    {
      input: 'windows/amd64:10.0.17763.1234',
      want: { os: 'windows', architecture: 'amd64', 'os.version': '10.0.17763.1234' },
    },
    {
      input: 'Windows/AMD64:10.0.20348',
      want: { os: 'windows', architecture: 'amd64', 'os.version': '10.0.20348' },
    },
    {
      input: 'linux/arm/v7:5.10',
      want: { os: 'linux', architecture: 'arm', variant: 'v7', 'os.version': '5.10' },
    },
  ];
  for (const c of valid) {
    test(`accepts ${JSON.stringify(c.input)}`, () => {
      assert.deepEqual(parsePlatform(c.input), c.want);
    });
  }

  const invalid: Array<{ input: string; hint?: string }> = [
    { input: '' },
    { input: '   ' },
    { input: 'linux', hint: 'add the architecture, e.g. linux/amd64' },
    { input: 'arm64', hint: 'for a Linux image, use linux/arm64' },
    { input: 'linux/' },
    { input: '/amd64' },
    { input: 'linux//v8' },
    { input: 'linux/arm64/' },
    { input: 'linux/arm64/v8/extra' },
    { input: 'linux/amd 64' },
    { input: 'linux/amd64!' },
    { input: 'linux/-amd64' },
    { input: 'linux/amd64:' },
    { input: 'linux/amd64:10 0' },
    { input: 'windows/amd64:10.0:1' },
    { input: 'linux/amd64\nrm -rf' },
    { input: 'linux/amd64,linux/arm64' },
  ];
  for (const c of invalid) {
    test(`rejects ${JSON.stringify(c.input)} with a one-line UsageError`, () => {
      assert.throws(
        () => parsePlatform(c.input),
        (err: unknown) => {
          assert.ok(err instanceof UsageError);
          assert.equal(err.code, 'E_USAGE');
          assert.doesNotMatch(err.message, /\n/);
          assert.equal(err.hint, c.hint);
          return true;
        },
      );
    });
  }
});

describe('formatPlatform', () => {
  const cases: Array<{ input: Platform; want: string }> = [
    { input: { os: 'linux', architecture: 'amd64' }, want: 'linux/amd64' },
    { input: { os: 'linux', architecture: 'arm64', variant: 'v8' }, want: 'linux/arm64/v8' },
    {
      input: { os: 'windows', architecture: 'amd64', 'os.version': '10.0.17763.1234' },
      want: 'windows/amd64:10.0.17763.1234',
    },
    {
      input: { os: 'windows', architecture: 'amd64', 'os.features': ['win32k'] },
      want: 'windows/amd64',
    },
    { input: { os: 'linux', architecture: 'arm', variant: '' }, want: 'linux/arm' },
  ];
  for (const c of cases) {
    test(c.want, () => {
      assert.equal(formatPlatform(c.input), c.want);
    });
  }

  test('round-trips parsePlatform', () => {
    for (const s of ['linux/amd64', 'linux/arm/v6', 'linux/arm64/v8', 'windows/amd64:10.0.17763.1234']) {
      assert.equal(formatPlatform(parsePlatform(s)), s);
    }
  });
});

describe('normalizePlatform', () => {
  const cases: Array<{ input: Platform; want: Platform }> = [
    { input: { os: 'linux', architecture: 'amd64' }, want: { os: 'linux', architecture: 'amd64' } },
    { input: { os: 'linux', architecture: 'x86_64' }, want: { os: 'linux', architecture: 'amd64' } },
    { input: { os: 'linux', architecture: 'x86-64' }, want: { os: 'linux', architecture: 'amd64' } },
    {
      input: { os: 'linux', architecture: 'amd64', variant: 'v1' },
      want: { os: 'linux', architecture: 'amd64' },
    },
    {
      input: { os: 'linux', architecture: 'amd64', variant: 'v3' },
      want: { os: 'linux', architecture: 'amd64', variant: 'v3' },
    },
    {
      input: { os: 'linux', architecture: 'aarch64' },
      want: { os: 'linux', architecture: 'arm64', variant: 'v8' },
    },
    {
      input: { os: 'linux', architecture: 'arm64' },
      want: { os: 'linux', architecture: 'arm64', variant: 'v8' },
    },
    {
      input: { os: 'linux', architecture: 'arm64', variant: '8' },
      want: { os: 'linux', architecture: 'arm64', variant: 'v8' },
    },
    {
      input: { os: 'linux', architecture: 'arm64', variant: 'v8.0' },
      want: { os: 'linux', architecture: 'arm64', variant: 'v8' },
    },
    {
      input: { os: 'linux', architecture: 'arm64', variant: '9' },
      want: { os: 'linux', architecture: 'arm64', variant: 'v9' },
    },
    {
      input: { os: 'linux', architecture: 'arm64', variant: 'v8.2' },
      want: { os: 'linux', architecture: 'arm64', variant: 'v8.2' },
    },
    {
      input: { os: 'linux', architecture: 'arm' },
      want: { os: 'linux', architecture: 'arm', variant: 'v7' },
    },
    {
      input: { os: 'linux', architecture: 'arm', variant: '6' },
      want: { os: 'linux', architecture: 'arm', variant: 'v6' },
    },
    {
      input: { os: 'linux', architecture: 'arm', variant: 'v5' },
      want: { os: 'linux', architecture: 'arm', variant: 'v5' },
    },
    {
      input: { os: 'linux', architecture: 'armhf' },
      want: { os: 'linux', architecture: 'arm', variant: 'v7' },
    },
    {
      input: { os: 'linux', architecture: 'armel' },
      want: { os: 'linux', architecture: 'arm', variant: 'v6' },
    },
    {
      input: { os: 'linux', architecture: 'i386', variant: 'x' },
      want: { os: 'linux', architecture: '386' },
    },
    {
      input: { os: 'MacOS', architecture: 'ARM64', variant: 'V8' },
      want: { os: 'darwin', architecture: 'arm64', variant: 'v8' },
    },
    {
      input: { os: 'linux', architecture: 'riscv64' },
      want: { os: 'linux', architecture: 'riscv64' },
    },
    {
      input: {
        os: 'windows',
        architecture: 'amd64',
        'os.version': '10.0.17763.1234',
        'os.features': ['win32k'],
      },
      want: {
        os: 'windows',
        architecture: 'amd64',
        'os.version': '10.0.17763.1234',
        'os.features': ['win32k'],
      },
    },
  ];
  for (const c of cases) {
    test(`${formatPlatform(c.input)} → ${formatPlatform(c.want)}`, () => {
      assert.deepEqual(normalizePlatform(c.input), c.want);
    });
  }

  test('is idempotent', () => {
    for (const c of cases) {
      const once = normalizePlatform(c.input);
      assert.deepEqual(normalizePlatform(once), once);
    }
  });
});

describe('platformMatches', () => {
  const p = (s: string): Platform => parsePlatform(s);
  const cases: Array<{ want: string; have: Platform; match: boolean }> = [
    { want: 'linux/amd64', have: p('linux/amd64'), match: true },
    { want: 'linux/amd64', have: p('linux/x86_64'), match: true },
    { want: 'linux/x86-64', have: p('linux/amd64'), match: true },
    { want: 'linux/amd64', have: p('linux/arm64'), match: false },
    { want: 'linux/amd64', have: p('windows/amd64'), match: false },
    { want: 'linux/amd64', have: p('linux/amd64/v3'), match: true },
    { want: 'linux/amd64/v1', have: p('linux/amd64'), match: true },
    { want: 'linux/amd64/v1', have: p('linux/amd64/v3'), match: false },
    { want: 'linux/arm64', have: p('linux/arm64/v8'), match: true },
    { want: 'linux/arm64/v8', have: p('linux/arm64'), match: true },
    { want: 'linux/aarch64', have: p('linux/arm64/v8'), match: true },
    { want: 'linux/arm64/v8', have: p('linux/arm64/v8.2'), match: false },
    { want: 'linux/arm64', have: p('linux/arm64/v9'), match: true },
    { want: 'linux/arm/v7', have: p('linux/arm'), match: true },
    { want: 'linux/arm/7', have: p('linux/arm/v7'), match: true },
    { want: 'linux/arm/v6', have: p('linux/arm'), match: false },
    { want: 'linux/arm/v6', have: p('linux/arm/v7'), match: false },
    { want: 'linux/arm', have: p('linux/arm/v6'), match: true },
    { want: 'linux/arm', have: p('linux/arm64'), match: false },
    { want: 'Linux/AMD64', have: { os: 'linux', architecture: 'amd64' }, match: true },
    { want: 'windows/amd64', have: p('windows/amd64:10.0.17763.1234'), match: true },
    { want: 'windows/amd64:10.0.17763.1234', have: p('windows/amd64:10.0.17763.1234'), match: true },
    { want: 'windows/amd64:10.0.17763', have: p('windows/amd64:10.0.17763.1234'), match: true },
    { want: 'windows/amd64:10.0.17763', have: p('windows/amd64:10.0.177630.1'), match: false },
    { want: 'windows/amd64:10.0.20348', have: p('windows/amd64:10.0.17763.1234'), match: false },
    { want: 'windows/amd64:10.0.17763', have: p('windows/amd64'), match: false },
    { want: 'linux/amd64', have: { os: 'unknown', architecture: 'unknown' }, match: false },
  ];
  for (const c of cases) {
    test(`${c.want} ${c.match ? 'matches' : 'does not match'} ${formatPlatform(c.have)}`, () => {
      assert.equal(platformMatches(parsePlatform(c.want), c.have), c.match);
    });
  }
});

describe('selectPlatform', () => {
  let n = 0;
  const desc = (platform: Platform | undefined, annotations?: Record<string, string>): Descriptor => {
    n++;
    return {
      mediaType: MediaType.ociManifest,
      digest: `sha256:${n.toString(16).padStart(64, '0')}`,
      size: 1000 + n,
      ...(platform === undefined ? {} : { platform }),
      ...(annotations === undefined ? {} : { annotations }),
    };
  };
  const attestation = (forDigest: string): Descriptor =>
    desc(
      { os: 'unknown', architecture: 'unknown' },
      { 'vnd.docker.reference.digest': forDigest, 'vnd.docker.reference.type': 'attestation-manifest' },
    );

  // What `docker buildx build --platform linux/amd64,linux/arm64,linux/arm/v7 --push` produces.
  const amd64 = desc({ os: 'linux', architecture: 'amd64' });
  const arm64 = desc({ os: 'linux', architecture: 'arm64', variant: 'v8' });
  const armv7 = desc({ os: 'linux', architecture: 'arm', variant: 'v7' });
  const buildx = [
    amd64,
    arm64,
    armv7,
    attestation(amd64.digest),
    attestation(arm64.digest),
    attestation(armv7.digest),
  ];

  // Attestations first, an entry without a platform, and arm64 spelled both ways.
  const noPlatform = desc(undefined);
  const arm64Bare = desc({ os: 'linux', architecture: 'arm64' });
  const arm64V8 = desc({ os: 'linux', architecture: 'arm64', variant: 'v8' });
  const arm64V82 = desc({ os: 'linux', architecture: 'arm64', variant: 'v8.2' });
  const mixed = [attestation(arm64Bare.digest), noPlatform, arm64Bare, arm64V82, arm64V8];

  const armv6 = desc({ os: 'linux', architecture: 'arm', variant: 'v6' });
  const armBare = desc({ os: 'linux', architecture: 'arm' });
  const armv7b = desc({ os: 'linux', architecture: 'arm', variant: 'v7' });
  const arm = [armv6, armBare, armv7b];

  const amd64v3 = desc({ os: 'linux', architecture: 'amd64', variant: 'v3' });
  const amd64Plain = desc({ os: 'linux', architecture: 'amd64' });
  const amd = [amd64v3, amd64Plain];

  const win2019 = desc({ os: 'windows', architecture: 'amd64', 'os.version': '10.0.17763.5576' });
  const win2022 = desc({ os: 'windows', architecture: 'amd64', 'os.version': '10.0.20348.2340' });
  const win2022b = desc({ os: 'windows', architecture: 'amd64', 'os.version': '10.0.20348' });
  const windows = [amd64, win2019, win2022, win2022b];

  const unknownFirst = [desc({ os: 'unknown', architecture: 'unknown' }), amd64];

  const cases: Array<{ name: string; index: Descriptor[]; want: string; pick: Descriptor | undefined }> = [
    { name: 'buildx index: amd64', index: buildx, want: 'linux/amd64', pick: amd64 },
    { name: 'buildx index: arm64 without variant', index: buildx, want: 'linux/arm64', pick: arm64 },
    { name: 'buildx index: arm64/v8', index: buildx, want: 'linux/arm64/v8', pick: arm64 },
    { name: 'buildx index: aarch64 alias', index: buildx, want: 'linux/aarch64', pick: arm64 },
    { name: 'buildx index: arm without variant', index: buildx, want: 'linux/arm', pick: armv7 },
    { name: 'buildx index: arm/v7', index: buildx, want: 'linux/arm/v7', pick: armv7 },
    { name: 'buildx index: arm/v6 is absent', index: buildx, want: 'linux/arm/v6', pick: undefined },
    { name: 'buildx index: s390x is absent', index: buildx, want: 'linux/s390x', pick: undefined },
    { name: 'buildx index: windows is absent', index: buildx, want: 'windows/amd64', pick: undefined },
    { name: 'attestations are never picked', index: buildx, want: 'unknown/unknown', pick: undefined },
    {
      name: 'unknown/unknown without annotations is skipped',
      index: unknownFirst,
      want: 'linux/amd64',
      pick: amd64,
    },
    { name: 'arm64/v8 written out beats bare arm64', index: mixed, want: 'linux/arm64/v8', pick: arm64V8 },
    { name: 'bare arm64 is the default for want arm64', index: mixed, want: 'linux/arm64', pick: arm64Bare },
    { name: 'exact arm64/v8.2', index: mixed, want: 'linux/arm64/v8.2', pick: arm64V82 },
    {
      name: 'bare arm64 serves arm64/v8 when it is the only one',
      index: [arm64Bare],
      want: 'linux/arm64/v8',
      pick: arm64Bare,
    },
    { name: 'arm: default v7 beats v6 and index order', index: arm, want: 'linux/arm', pick: armBare },
    { name: 'arm/v7 written out beats bare arm', index: arm, want: 'linux/arm/v7', pick: armv7b },
    { name: 'arm/v6 exact', index: arm, want: 'linux/arm/v6', pick: armv6 },
    { name: 'amd64: no variant beats v3', index: amd, want: 'linux/amd64', pick: amd64Plain },
    { name: 'amd64/v3 exact', index: amd, want: 'linux/amd64/v3', pick: amd64v3 },
    {
      name: 'amd64: v3 is used when nothing else is there',
      index: [amd64v3],
      want: 'linux/amd64',
      pick: amd64v3,
    },
    {
      name: 'windows without os.version: first windows entry',
      index: windows,
      want: 'windows/amd64',
      pick: win2019,
    },
    { name: 'windows by build prefix', index: windows, want: 'windows/amd64:10.0.17763', pick: win2019 },
    {
      name: 'windows exact os.version beats a prefix match',
      index: windows,
      want: 'windows/amd64:10.0.20348',
      pick: win2022b,
    },
    { name: 'windows full os.version', index: windows, want: 'windows/amd64:10.0.20348.2340', pick: win2022 },
    { name: 'windows unknown build', index: windows, want: 'windows/amd64:10.0.14393', pick: undefined },
    { name: 'linux from a mixed linux/windows index', index: windows, want: 'linux/amd64', pick: amd64 },
    { name: 'empty index', index: [], want: 'linux/amd64', pick: undefined },
    { name: 'only entries without a platform', index: [noPlatform], want: 'linux/amd64', pick: undefined },
  ];
  for (const c of cases) {
    test(c.name, () => {
      assert.equal(selectPlatform(c.index, parsePlatform(c.want)), c.pick);
    });
  }
});

describe('requirePlatform', () => {
  const entry = (digest: string, platform: Platform): Descriptor => ({
    mediaType: MediaType.ociManifest,
    digest: `sha256:${digest.repeat(64)}`,
    size: 100,
    platform,
  });
  const amd64 = entry('a', { os: 'linux', architecture: 'amd64' });
  const arm64 = entry('b', { os: 'linux', architecture: 'arm64', variant: 'v8' });
  const att = entry('c', { os: 'unknown', architecture: 'unknown' });
  const index = { kind: 'index', manifests: [amd64, arm64, att] } as const;
  const want = (text: string): Platform => parsePlatform(text);
  const refusal = (fn: () => unknown): string => {
    try {
      fn();
    } catch (err) {
      assert.ok(err instanceof NotFoundError, String(err));
      assert.equal(err.exitCode, 1);
      return err.message;
    }
    assert.fail('expected NotFoundError');
  };

  const cases: Array<{ offer: Parameters<typeof requirePlatform>[1]; want: string; result: string }> = [
    { offer: index, want: 'linux/arm64', result: arm64.digest },
    { offer: index, want: 'linux/aarch64', result: arm64.digest },
    { offer: index, want: 'linux/amd64', result: amd64.digest },
    { offer: index, want: 'linux/s390x', result: 'x (available: linux/amd64, linux/arm64/v8)' },
    { offer: index, want: 'unknown/unknown', result: 'x (available: linux/amd64, linux/arm64/v8)' },
    { offer: { kind: 'index', manifests: [] }, want: 'linux/amd64', result: 'x (available: none)' },
    {
      offer: { kind: 'image', platform: { os: 'linux', architecture: 'amd64' } },
      want: 'linux/amd64',
      result: 'self',
    },
    {
      offer: { kind: 'image', platform: { os: 'linux', architecture: 'arm64' } },
      want: 'linux/arm64/v8',
      result: 'self',
    },
    {
      offer: { kind: 'image', platform: { os: 'linux', architecture: 'arm', variant: 'v7' } },
      want: 'linux/arm',
      result: 'self',
    },
    {
      offer: { kind: 'image', platform: { os: 'linux', architecture: 'amd64' } },
      want: 'linux/arm64',
      result: 'x (available: linux/amd64)',
    },
    {
      offer: { kind: 'image', platform: { os: 'linux', architecture: 'arm', variant: 'v6' } },
      want: 'linux/arm/v7',
      result: 'x (available: linux/arm/v6)',
    },
    {
      offer: {
        kind: 'image',
        platform: { os: 'windows', architecture: 'amd64', 'os.version': '10.0.17763.1' },
      },
      want: 'windows/amd64:10.0.20348',
      result: 'x (available: windows/amd64:10.0.17763.1)',
    },
    {
      offer: { kind: 'image', platform: undefined },
      want: 'linux/amd64',
      result: 'x (available: none: its config states no platform)',
    },
  ];
  for (const c of cases) {
    test(`${c.offer.kind} ${c.want} → ${c.result}`, () => {
      if (c.result.startsWith('x (')) {
        assert.equal(
          refusal(() => requirePlatform('x', c.offer, want(c.want))),
          `x has no image for platform ${formatPlatform(want(c.want))} ${c.result.slice(2)}`,
        );
      } else if (c.result === 'self') {
        assert.equal(requirePlatform('x', c.offer, want(c.want)), undefined);
      } else {
        assert.equal(requirePlatform('x', c.offer, want(c.want))?.digest, c.result);
      }
    });
  }
});

describe('hostPlatform', () => {
  const cases: Array<{ host: HostInfo; want: Platform }> = [
    { host: { platform: 'linux', arch: 'x64' }, want: { os: 'linux', architecture: 'amd64' } },
    {
      host: { platform: 'linux', arch: 'arm64' },
      want: { os: 'linux', architecture: 'arm64', variant: 'v8' },
    },
    { host: { platform: 'linux', arch: 'arm' }, want: { os: 'linux', architecture: 'arm', variant: 'v7' } },
    {
      host: { platform: 'linux', arch: 'arm', armVersion: '6' },
      want: { os: 'linux', architecture: 'arm', variant: 'v6' },
    },
    {
      host: { platform: 'linux', arch: 'arm', armVersion: 'default' },
      want: { os: 'linux', architecture: 'arm', variant: 'v7' },
    },
    { host: { platform: 'linux', arch: 'ia32' }, want: { os: 'linux', architecture: '386' } },
    {
      host: { platform: 'linux', arch: 'ppc64', endianness: 'LE' },
      want: { os: 'linux', architecture: 'ppc64le' },
    },
    {
      host: { platform: 'aix', arch: 'ppc64', endianness: 'BE' },
      want: { os: 'linux', architecture: 'ppc64' },
    },
    { host: { platform: 'linux', arch: 's390x' }, want: { os: 'linux', architecture: 's390x' } },
    { host: { platform: 'linux', arch: 'riscv64' }, want: { os: 'linux', architecture: 'riscv64' } },
    { host: { platform: 'linux', arch: 'mipsel' }, want: { os: 'linux', architecture: 'mipsle' } },
    {
      host: { platform: 'darwin', arch: 'arm64' },
      want: { os: 'linux', architecture: 'arm64', variant: 'v8' },
    },
    { host: { platform: 'darwin', arch: 'x64' }, want: { os: 'linux', architecture: 'amd64' } },
    { host: { platform: 'freebsd', arch: 'x64' }, want: { os: 'linux', architecture: 'amd64' } },
    { host: { platform: 'win32', arch: 'x64' }, want: { os: 'windows', architecture: 'amd64' } },
    {
      host: { platform: 'win32', arch: 'arm64' },
      want: { os: 'windows', architecture: 'arm64', variant: 'v8' },
    },
  ];
  for (const c of cases) {
    test(`${c.host.platform}/${c.host.arch} → ${formatPlatform(c.want)}`, () => {
      assert.deepEqual(hostPlatform(c.host), c.want);
    });
  }

  test('the current host gives a parseable platform', () => {
    const host = hostPlatform();
    assert.deepEqual(parsePlatform(formatPlatform(host)), host);
    assert.ok(host.os === 'linux' || host.os === 'windows');
  });
});
