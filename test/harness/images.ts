// Deterministic synthetic images, written as an OCI image layout (the counterpart of ggcr's
// random.Image / random.Index). Push them with skopeo (skopeo.ts pushImage) or ferry.
//
//   const img = await generateImage({ dir, tag: 'v1', layers: [1024, 2048] });
//   const idx = await generateImage({ dir, tag: 'multi', platforms: ['linux/amd64', 'linux/arm64', 'linux/arm/v7'] });
//
// Each layer is a real ustar tar (a directory `ferry/` and one file `ferry/layer-<i>.bin`, mtime
// 2024-01-01, uid/gid 0) holding AES-256-CTR keystream bytes keyed by seed/platform/index/size
// (incompressible), gzip'd with node:zlib. Same options → same digests (on the same Node/zlib).
// Images with the same seed and platform share their leading layers of equal size, which is handy
// for cross-repository mount tests. Several tags may share one layout dir (index.json is
// updated; an existing entry for the same tag is replaced).
import { createCipheriv, createHash } from 'node:crypto';
import { access, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import tar from 'tar-stream';
import { makeTempDir } from './tmp.js';

export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
export const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';
export const OCI_LAYER_GZIP = 'application/vnd.oci.image.layer.v1.tar+gzip';
export const REF_NAME_ANNOTATION = 'org.opencontainers.image.ref.name';

const CREATED = '2024-01-01T00:00:00Z';
const MTIME = new Date(CREATED);

export interface ImageOptions {
  /** The tag (index.json `org.opencontainers.image.ref.name`). */
  tag: string;
  /** Layout directory; created if missing. Default: a fresh temp dir. */
  dir?: string;
  /** Payload bytes of each layer's file. Default [1024, 2048]. */
  layers?: number[];
  /** 'os/arch[/variant]'. More than one → an OCI index. Default ['linux/amd64']. */
  platforms?: string[];
  /** Seeds the layer bytes and the config. Default: the tag. */
  seed?: string;
  /** Extra config labels (change the config, hence the manifest digest, not the layers). */
  labels?: Record<string, string>;
  /** gzip level 0–9. Default 1 (random data does not compress anyway). */
  gzipLevel?: number;
  /**
   * The config's `created` and its history times (ISO 8601), e.g. for `ls --filter since=`.
   * Default 2024-01-01T00:00:00Z; null leaves `created` out (the spec makes it optional). Layers
   * keep the default mtime either way, so they stay shared.
   */
  created?: string | null;
  /** Layers as plain tars (`…layer.v1.tar`, Docker `…rootfs.diff.tar`), not gzip'd. Default false. */
  uncompressed?: boolean;
  /** Docker media types (v2 schema 2 manifests, a manifest list) written natively. Default OCI. */
  docker?: boolean;
}

/** The media types of one family: OCI, or Docker v2 schema 2. */
const MEDIA_TYPES = {
  oci: {
    manifest: 'application/vnd.oci.image.manifest.v1+json',
    index: 'application/vnd.oci.image.index.v1+json',
    config: 'application/vnd.oci.image.config.v1+json',
    layer: 'application/vnd.oci.image.layer.v1.tar',
    layerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  },
  docker: {
    manifest: 'application/vnd.docker.distribution.manifest.v2+json',
    index: 'application/vnd.docker.distribution.manifest.list.v2+json',
    config: 'application/vnd.docker.container.image.v1+json',
    layer: 'application/vnd.docker.image.rootfs.diff.tar',
    layerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  },
} as const;

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

export interface LayerSummary {
  digest: string;
  size: number;
  /** sha256 of the uncompressed tar (the config's rootfs.diff_ids entry). */
  diffId: string;
  mediaType: string;
}

export interface PlatformImage {
  /** As given, e.g. 'linux/arm/v7'. */
  platform: string;
  manifestDigest: string;
  manifestSize: number;
  configDigest: string;
  configSize: number;
  layers: LayerSummary[];
}

export interface ImageSummary {
  dir: string;
  tag: string;
  /** skopeo/ferry source reference: `oci:DIR:TAG`. */
  ref: string;
  /** The top-level descriptor: the manifest (one platform) or the index (several). */
  digest: string;
  mediaType: string;
  size: number;
  platforms: PlatformImage[];
}

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: { architecture: string; os: string; variant?: string };
  annotations?: Record<string, string>;
}

/** 'linux/arm/v7' → { os: 'linux', architecture: 'arm', variant: 'v7' }. */
export function parsePlatform(text: string): Platform {
  const [os, architecture, variant, ...rest] = text.split('/');
  if (!os || !architecture || rest.length > 0 || variant === '') throw new Error(`bad platform ${text}`);
  return variant === undefined ? { os, architecture } : { os, architecture, variant };
}

/**
 * The entry of an index (its bytes, as a registry serves them) for `platform`, 'os/arch[/variant]'
 * (without a variant: any): exactly one entry must match.
 */
export function indexEntry(indexBytes: Buffer, platform: string): Descriptor {
  const want = parsePlatform(platform);
  const index = JSON.parse(indexBytes.toString('utf8')) as { manifests: Descriptor[] };
  const found = index.manifests.filter(
    (m) =>
      m.platform?.os === want.os &&
      m.platform.architecture === want.architecture &&
      (want.variant === undefined || m.platform.variant === want.variant),
  );
  if (found.length !== 1) throw new Error(`${found.length} ${platform} entries in the index, not one`);
  return found[0]!;
}

export const sha256 = (data: Buffer | string): string =>
  `sha256:${createHash('sha256').update(data).digest('hex')}`;

/** `size` pseudo-random bytes: the AES-256-CTR keystream under a key derived from `label`. */
export function pseudoRandomBytes(label: string, size: number): Buffer {
  const key = createHash('sha256').update(`ferry-test-image/${label}`).digest();
  const cipher = createCipheriv('aes-256-ctr', key, Buffer.alloc(16));
  return Buffer.concat([cipher.update(Buffer.alloc(size)), cipher.final()]);
}

async function tarOf(index: number, payload: Buffer): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const done = (async () => {
    for await (const chunk of pack) chunks.push(chunk);
  })();
  const common = { mtime: MTIME, uid: 0, gid: 0, uname: 'root', gname: 'root' };
  pack.entry({ ...common, name: 'ferry/', type: 'directory', mode: 0o755 });
  pack.entry(
    { ...common, name: `ferry/layer-${index}.bin`, type: 'file', mode: 0o644, size: payload.length },
    payload,
  );
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

/** Canonical JSON bytes (fixed key order as written; no whitespace). */
const jsonBytes = (value: unknown): Buffer => Buffer.from(JSON.stringify(value));

class LayoutWriter {
  constructor(readonly dir: string) {}

  async init(): Promise<void> {
    await mkdir(join(this.dir, 'blobs', 'sha256'), { recursive: true });
    await writeFile(join(this.dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  }

  /** Writes a blob (if not there yet) and returns its digest and size. */
  async blob(data: Buffer): Promise<{ digest: string; size: number }> {
    const digest = sha256(data);
    const file = join(this.dir, 'blobs', 'sha256', digest.slice('sha256:'.length));
    try {
      await access(file);
    } catch {
      await writeFile(file, data);
    }
    return { digest, size: data.length };
  }

  /** Adds (or replaces) the index.json entry for `tag`. */
  async tag(tag: string, descriptor: Descriptor): Promise<void> {
    const file = join(this.dir, 'index.json');
    let index: { schemaVersion: number; mediaType?: string; manifests: Descriptor[] } = {
      schemaVersion: 2,
      mediaType: OCI_INDEX,
      manifests: [],
    };
    try {
      index = JSON.parse(await readFile(file, 'utf8')) as typeof index;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    index.manifests = index.manifests.filter((m) => m.annotations?.[REF_NAME_ANNOTATION] !== tag);
    index.manifests.push({ ...descriptor, annotations: { [REF_NAME_ANNOTATION]: tag } });
    await writeFile(file, JSON.stringify(index));
  }
}

// Serializes generateImage calls per layout dir (index.json is read-modify-write).
const dirLocks = new Map<string, Promise<unknown>>();

function withDirLock<T>(dir: string, work: () => Promise<T>): Promise<T> {
  const previous = dirLocks.get(dir) ?? Promise.resolve();
  const next = previous.then(work, work);
  dirLocks.set(
    dir,
    next.catch(() => {}),
  );
  return next;
}

async function buildPlatform(
  writer: LayoutWriter,
  platformText: string,
  options: Required<Pick<ImageOptions, 'layers' | 'seed' | 'gzipLevel' | 'uncompressed' | 'docker'>> & {
    labels: Record<string, string>;
    created: string | null;
  },
): Promise<PlatformImage & { descriptor: Descriptor }> {
  const platform = parsePlatform(platformText);
  const types = MEDIA_TYPES[options.docker ? 'docker' : 'oci'];
  const layers: LayerSummary[] = [];
  for (const [i, size] of options.layers.entries()) {
    const payload = pseudoRandomBytes(`${options.seed}/${platformText}/${i}/${size}`, size);
    const tarBytes = await tarOf(i, payload);
    const bytes = options.uncompressed ? tarBytes : gzipSync(tarBytes, { level: options.gzipLevel });
    const { digest, size: blobSize } = await writer.blob(bytes);
    const mediaType = options.uncompressed ? types.layer : types.layerGzip;
    layers.push({ digest, size: blobSize, diffId: sha256(tarBytes), mediaType });
  }
  const created = options.created === null ? {} : { created: options.created };
  const config = {
    ...created,
    architecture: platform.architecture,
    ...(platform.variant === undefined ? {} : { variant: platform.variant }),
    os: platform.os,
    config: {
      Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
      Cmd: ['/bin/sh'],
      Labels: { 'org.ferry.test.seed': options.seed, ...options.labels },
    },
    rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
    history: layers.map((l, i) => ({
      ...created,
      created_by: `ferry test layer ${i} (${l.size} bytes)`,
    })),
  };
  const configBlob = await writer.blob(jsonBytes(config));
  const manifest = {
    schemaVersion: 2,
    mediaType: types.manifest,
    config: { mediaType: types.config, digest: configBlob.digest, size: configBlob.size },
    layers: layers.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.size })),
  };
  const manifestBlob = await writer.blob(jsonBytes(manifest));
  return {
    platform: platformText,
    manifestDigest: manifestBlob.digest,
    manifestSize: manifestBlob.size,
    configDigest: configBlob.digest,
    configSize: configBlob.size,
    layers,
    descriptor: {
      mediaType: types.manifest,
      digest: manifestBlob.digest,
      size: manifestBlob.size,
      platform: {
        architecture: platform.architecture,
        os: platform.os,
        ...(platform.variant === undefined ? {} : { variant: platform.variant }),
      },
    },
  };
}

/** Writes an image (one platform) or an index (several) into an OCI layout and tags it. */
export async function generateImage(options: ImageOptions): Promise<ImageSummary> {
  const dir = options.dir ?? (await makeTempDir('image'));
  const platforms = options.platforms ?? ['linux/amd64'];
  if (platforms.length === 0) throw new Error('generateImage: platforms must not be empty');
  const settings = {
    layers: options.layers ?? [1024, 2048],
    seed: options.seed ?? options.tag,
    gzipLevel: options.gzipLevel ?? 1,
    labels: options.labels ?? {},
    created: options.created === undefined ? CREATED : options.created,
    uncompressed: options.uncompressed ?? false,
    docker: options.docker ?? false,
  };
  const types = MEDIA_TYPES[settings.docker ? 'docker' : 'oci'];
  return withDirLock(dir, async () => {
    const writer = new LayoutWriter(dir);
    await writer.init();
    const built = [];
    for (const p of platforms) built.push(await buildPlatform(writer, p, settings));
    let top: Descriptor;
    if (built.length === 1) {
      const only = built[0]!;
      top = { mediaType: types.manifest, digest: only.manifestDigest, size: only.manifestSize };
    } else {
      const index = { schemaVersion: 2, mediaType: types.index, manifests: built.map((b) => b.descriptor) };
      const blob = await writer.blob(jsonBytes(index));
      top = { mediaType: types.index, ...blob };
    }
    await writer.tag(options.tag, top);
    return {
      dir,
      tag: options.tag,
      ref: `oci:${dir}:${options.tag}`,
      digest: top.digest,
      mediaType: top.mediaType,
      size: top.size,
      platforms: built.map(({ descriptor: _descriptor, ...rest }) => rest),
    };
  });
}

/** Reads a blob of a layout by digest (e.g. to compare with what a registry returns). */
export function readLayoutBlob(dir: string, digest: string): Promise<Buffer> {
  const [algorithm, hex] = digest.split(':');
  if (!algorithm || !hex) throw new Error(`bad digest ${digest}`);
  return readFile(join(dir, 'blobs', algorithm, hex));
}
