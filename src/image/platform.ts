/**
 * Platforms (image-spec image-index.md `platform`): the `--platform os/arch[/variant][:os.version]`
 * syntax, normalisation, matching, and picking one manifest out of an index.
 *
 * Normalisation follows containerd's `platforms` package: x86_64/x86-64 → amd64 (v1 is the same
 * as no variant), aarch64 → arm64, i386 → 386, armhf → arm/v7, armel → arm/v6, macos → darwin;
 * arm64 without a variant is v8 and arm without a variant is v7; a bare digit variant gains its
 * `v`. Where containerd spells arm64/v8 as "arm64", ferry spells the default variant out, so two
 * equivalent platforms normalise to field-for-field equal values.
 */

import { endianness } from 'node:os';
import { NotFoundError, UsageError } from '../errors.js';
import type { Descriptor, Platform } from './descriptor.js';

const PART = /^[a-z0-9][a-z0-9._-]*$/;
const OS_VERSION = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const KNOWN_OS = new Set(['linux', 'windows', 'darwin', 'freebsd', 'netbsd', 'openbsd', 'solaris', 'aix']);
const SYNTAX = 'expected os/arch[/variant][:os.version], e.g. linux/arm64/v8';

/**
 * Parses `os/arch[/variant][:os.version]` (lower-cased, os.version kept as written). Aliases are
 * left as typed: normalizePlatform() resolves them. Throws UsageError on anything else.
 */
export function parsePlatform(s: string): Platform {
  const text = s.trim();
  const shown = JSON.stringify(s);
  if (text === '') throw new UsageError(`empty platform: ${SYNTAX}`);
  // docker buildx and regctl users write `--platform all`; in ferry every platform is what no
  // --platform means.
  if (text.toLowerCase() === 'all')
    throw new UsageError(`'all' is not a platform: ${SYNTAX}`, {
      hint: 'omit --platform to keep every platform of an index',
    });
  const colon = text.indexOf(':');
  const path = (colon < 0 ? text : text.slice(0, colon)).toLowerCase();
  const osVersion = colon < 0 ? undefined : text.slice(colon + 1);
  const parts = path.split('/');
  const [os, architecture, variant] = parts;
  if (os === undefined || architecture === undefined) {
    const hint = !PART.test(path)
      ? undefined
      : KNOWN_OS.has(path)
        ? `add the architecture, e.g. ${path}/amd64`
        : `for a Linux image, use linux/${path}`;
    throw new UsageError(`invalid platform ${shown}: ${SYNTAX}`, { hint });
  }
  if (parts.length > 3) throw new UsageError(`invalid platform ${shown}: too many parts; ${SYNTAX}`);
  for (const part of parts) {
    if (part === '') throw new UsageError(`invalid platform ${shown}: empty part; ${SYNTAX}`);
    if (!PART.test(part)) {
      throw new UsageError(`invalid platform ${shown}: bad character in ${JSON.stringify(part)}; ${SYNTAX}`);
    }
  }
  if (osVersion !== undefined && !OS_VERSION.test(osVersion)) {
    throw new UsageError(`invalid platform ${shown}: bad os.version after ":"; ${SYNTAX}`);
  }
  return {
    os,
    architecture,
    ...(variant === undefined ? {} : { variant }),
    ...(osVersion === undefined ? {} : { 'os.version': osVersion }),
  };
}

/** The inverse of parsePlatform: `os/arch[/variant][:os.version]`; os.features are not shown. */
export function formatPlatform(p: Platform): string {
  let out = `${p.os}/${p.architecture}`;
  if (p.variant) out += `/${p.variant}`;
  if (p['os.version']) out += `:${p['os.version']}`;
  return out;
}

function normalizeArch(arch: string, variant: string): [string, string] {
  switch (arch) {
    case 'i386':
      return ['386', ''];
    case 'x86_64':
    case 'x86-64':
    case 'amd64':
      return ['amd64', variant === 'v1' ? '' : variant];
    case 'aarch64':
    case 'arm64':
      if (['', '8', 'v8', 'v8.0'].includes(variant)) return ['arm64', 'v8'];
      if (['9', '9.0', 'v9.0'].includes(variant)) return ['arm64', 'v9'];
      return ['arm64', variant];
    case 'armhf':
      return ['arm', 'v7'];
    case 'armel':
      return ['arm', 'v6'];
    case 'arm':
      if (variant === '' || variant === '7') return ['arm', 'v7'];
      if (['5', '6', '8'].includes(variant)) return ['arm', `v${variant}`];
      return ['arm', variant];
    default:
      return [arch, variant];
  }
}

/** Lower-cases os/arch/variant and resolves aliases and default variants (see the file comment). */
export function normalizePlatform(p: Platform): Platform {
  const os = p.os.toLowerCase();
  const [architecture, variant] = normalizeArch(
    p.architecture.toLowerCase(),
    (p.variant ?? '').toLowerCase(),
  );
  return {
    os: os === 'macos' ? 'darwin' : os,
    architecture,
    ...(variant === '' ? {} : { variant }),
    ...(p['os.version'] === undefined ? {} : { 'os.version': p['os.version'] }),
    ...(p['os.features'] === undefined ? {} : { 'os.features': [...p['os.features']] }),
  };
}

/**
 * Whether an index entry's platform `have` satisfies the requested `want`, after normalising both.
 * - os and architecture must be equal;
 * - a `want` without a variant accepts every variant of its architecture (selectPlatform prefers
 *   the default one); a `want` with a variant needs the same normalised variant;
 * - os.version is compared only when `want` has one, as a dotted prefix: `10.0.17763` matches
 *   `10.0.17763` and `10.0.17763.1234`, not `10.0.177630`.
 */
export function platformMatches(want: Platform, have: Platform): boolean {
  const w = normalizePlatform(want);
  const h = normalizePlatform(have);
  if (w.os !== h.os || w.architecture !== h.architecture) return false;
  if (want.variant && w.variant !== h.variant) return false;
  const wantVersion = want['os.version'];
  if (wantVersion) {
    const haveVersion = have['os.version'] ?? '';
    if (haveVersion !== wantVersion && !haveVersion.startsWith(`${wantVersion}.`)) return false;
  }
  return true;
}

/** Lower is better; only called for entries that match. */
function rank(want: Platform, have: Platform): number {
  let variantRank: number;
  if (want.variant) {
    // arm64/v8 written out beats a bare arm64 that only matches through the default.
    variantRank = have.variant ? 0 : 1;
  } else {
    const defaultVariant = normalizePlatform({ os: want.os, architecture: want.architecture }).variant;
    const haveVariant = normalizePlatform(have).variant;
    if (haveVariant !== defaultVariant) variantRank = 2;
    else variantRank = have.variant ? 1 : 0;
  }
  const wantVersion = want['os.version'];
  const versionRank = wantVersion && have['os.version'] !== wantVersion ? 1 : 0;
  return variantRank * 2 + versionRank;
}

/**
 * Attestation manifests (BuildKit provenance/SBOM) sit in an index as `unknown/unknown` with a
 * `vnd.docker.reference.type` annotation; they are never a runnable image.
 */
export function isAttestation(d: Descriptor): boolean {
  const p = d.platform;
  if (p?.os.toLowerCase() === 'unknown' && p.architecture.toLowerCase() === 'unknown') return true;
  return d.annotations?.['vnd.docker.reference.type'] === 'attestation-manifest';
}

/**
 * The index entry for `want`: entries without a platform and attestations are skipped; among
 * matches an exact variant beats one matched through a default, the default variant beats other
 * variants when `want` has none, and index order breaks ties.
 */
export function selectPlatform(manifests: readonly Descriptor[], want: Platform): Descriptor | undefined {
  let best: Descriptor | undefined;
  let bestRank = Number.POSITIVE_INFINITY;
  for (const d of manifests) {
    if (d.platform === undefined || isAttestation(d) || !platformMatches(want, d.platform)) continue;
    const r = rank(want, d.platform);
    if (r < bestRank) {
      best = d;
      bestRank = r;
    }
  }
  return best;
}

/**
 * What an image or an index offers to `--platform`: an index its entries, a single image the
 * platform its config states (image-spec config.md `os`, `architecture`, `variant`), if any.
 */
export type PlatformOffer =
  | { kind: 'index'; manifests: readonly Descriptor[] }
  | { kind: 'image'; platform: Platform | undefined };

/** The platforms on offer, as `os/arch[/variant]` in index order (attestations left out). */
export function offeredPlatforms(offer: PlatformOffer): string[] {
  if (offer.kind === 'image') return offer.platform ? [formatPlatform(offer.platform)] : [];
  return offer.manifests.flatMap((d) =>
    d.platform && !isAttestation(d) ? [formatPlatform(d.platform)] : [],
  );
}

/**
 * The one `--platform` check, for every command that reads or copies an image (store/inspect.ts,
 * and copy/platforms.ts for the engine and the builds): the index entry for `want`
 * (selectPlatform), or undefined when `offer` is a single image whose config states a matching
 * platform. Anything else is NotFoundError naming `subject` and listing what is there: an
 * amd64-only image is not printed, pulled or copied for `--platform linux/arm64` (docker and
 * containerd refuse it the same way), and a single image whose config states no platform (an
 * artifact) has none to match.
 */
export function requirePlatform(
  subject: string,
  offer: Extract<PlatformOffer, { kind: 'index' }>,
  want: Platform,
): Descriptor;
export function requirePlatform(
  subject: string,
  offer: PlatformOffer,
  want: Platform,
): Descriptor | undefined;
export function requirePlatform(
  subject: string,
  offer: PlatformOffer,
  want: Platform,
): Descriptor | undefined {
  if (offer.kind === 'index') {
    const child = selectPlatform(offer.manifests, want);
    if (child) return child;
  } else if (offer.platform && platformMatches(want, offer.platform)) {
    return undefined;
  }
  const none = offer.kind === 'image' ? 'none: its config states no platform' : 'none';
  throw platformNotOffered(subject, want, offeredPlatforms(offer), none);
}

/** Why `subject` cannot give `want`: a NotFoundError (exit 1) listing the platforms it has. */
export function platformNotOffered(
  subject: string,
  want: Platform,
  available: readonly string[],
  none = 'none',
): NotFoundError {
  return new NotFoundError(
    `${subject} has no image for platform ${formatPlatform(want)} (available: ${available.join(', ') || none})`,
  );
}

export interface HostInfo {
  /** A `process.platform` value. */
  platform: string;
  /** A `process.arch` value. */
  arch: string;
  /** ARM architecture version of a 32-bit ARM Node build (`process.config.variables.arm_version`). */
  armVersion?: string | undefined;
  /** `os.endianness()`, to tell ppc64le from ppc64. */
  endianness?: 'BE' | 'LE' | undefined;
}

function currentHost(): HostInfo {
  const variables = process.config.variables as Record<string, unknown>;
  const armVersion = variables['arm_version'];
  return {
    platform: process.platform,
    arch: process.arch,
    armVersion: armVersion === undefined ? undefined : String(armVersion),
    endianness: endianness(),
  };
}

const NODE_ARCH: Record<string, string> = {
  x64: 'amd64',
  ia32: '386',
  mipsel: 'mipsle',
};

/**
 * The platform to pull when none is given. The OS is `windows` on Windows and `linux` everywhere
 * else: on macOS or a BSD, images run in a Linux VM (Docker Desktop, Colima, Podman machine), so a
 * darwin image is never what the user wants. Node's arch names map to GOARCH names, with the
 * default variants arm64/v8 and arm/v7 (or the ARM version Node was built for).
 */
export function hostPlatform(host: HostInfo = currentHost()): Platform {
  const os = host.platform === 'win32' ? 'windows' : 'linux';
  switch (host.arch) {
    case 'arm64':
      return { os, architecture: 'arm64', variant: 'v8' };
    case 'arm': {
      const version =
        host.armVersion !== undefined && /^[5-8]$/.test(host.armVersion) ? host.armVersion : '7';
      return { os, architecture: 'arm', variant: `v${version}` };
    }
    case 'ppc64':
      return { os, architecture: host.endianness === 'BE' ? 'ppc64' : 'ppc64le' };
    default:
      return { os, architecture: NODE_ARCH[host.arch] ?? host.arch };
  }
}
