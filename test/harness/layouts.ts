// Hand-made OCI layouts for what generateImage (images.ts) does not make: images whose layers and
// config the test writes itself (whiteouts, hard links, zstd, os.version), artifacts, and indexes
// with BuildKit attestation entries. Push them byte for byte with crane (crane.ts cranePush) or
// skopeo (skopeo.ts pushImage keeps OCI digests).
//
//   const img = await writeImage({ tag: 'v1', layers: [await tarOf([...])], config: { os: 'linux', architecture: 'amd64' } });
//   const att = await withAttestation(generated, 'v1-att');   // the index plus one attestation entry
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import tar from 'tar-stream';
import {
  type Descriptor,
  OCI_CONFIG,
  OCI_INDEX,
  OCI_LAYER_GZIP,
  OCI_MANIFEST,
  REF_NAME_ANNOTATION,
  sha256,
} from './images.js';
import { makeTempDir } from './tmp.js';

export interface TarEntry {
  name: string;
  type?: 'file' | 'directory' | 'symlink' | 'link';
  content?: string | Buffer;
  linkname?: string;
  mode?: number;
}

/** A tar of `entries`, in order (mtime 2024-01-01, owners 0:0). */
export async function tarOf(entries: readonly TarEntry[]): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const done = (async () => {
    for await (const chunk of pack) chunks.push(chunk);
  })();
  for (const e of entries) {
    const type = e.type ?? 'file';
    const body = typeof e.content === 'string' ? Buffer.from(e.content) : e.content;
    pack.entry(
      {
        name: e.name,
        type,
        mode: e.mode ?? (type === 'directory' ? 0o755 : 0o644),
        mtime: new Date('2024-01-01T00:00:00Z'),
        uid: 0,
        gid: 0,
        ...(e.linkname === undefined ? {} : { linkname: e.linkname }),
        ...(type === 'file' ? { size: body?.length ?? 0 } : {}),
      },
      type === 'file' ? (body ?? Buffer.alloc(0)) : undefined,
    );
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

export interface LayerBlob {
  bytes: Buffer;
  mediaType: string;
  /** sha256 of the uncompressed tar. */
  diffId: string;
}

/** A gzip'd layer of `tarBytes`. */
export const gzipLayer = (tarBytes: Buffer): LayerBlob => ({
  bytes: gzipSync(tarBytes),
  mediaType: OCI_LAYER_GZIP,
  diffId: sha256(tarBytes),
});

async function putBlob(dir: string, data: Buffer): Promise<{ digest: string; size: number }> {
  const digest = sha256(data);
  await mkdir(join(dir, 'blobs', 'sha256'), { recursive: true });
  await writeFile(join(dir, 'blobs', 'sha256', digest.slice(7)), data);
  return { digest, size: data.length };
}

async function tagIn(dir: string, tag: string, descriptor: Descriptor): Promise<void> {
  await writeFile(join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  const file = join(dir, 'index.json');
  let index: { schemaVersion: number; manifests: Descriptor[] } = { schemaVersion: 2, manifests: [] };
  try {
    index = JSON.parse(await readFile(file, 'utf8')) as typeof index;
  } catch {}
  index.manifests = index.manifests.filter((m) => m.annotations?.[REF_NAME_ANNOTATION] !== tag);
  index.manifests.push({ ...descriptor, annotations: { [REF_NAME_ANNOTATION]: tag } });
  await writeFile(file, JSON.stringify({ mediaType: OCI_INDEX, ...index }));
}

export interface WrittenImage {
  dir: string;
  ref: string;
  digest: string;
  size: number;
  configDigest: string;
  layers: { digest: string; size: number; mediaType: string }[];
}

/**
 * Writes one image (or an artifact, with `configMediaType`) into a layout and tags it. The config
 * gets `rootfs.diff_ids` from the layers unless it is an artifact's.
 */
export async function writeImage(options: {
  tag: string;
  dir?: string;
  layers: readonly LayerBlob[];
  config: Record<string, unknown>;
  configMediaType?: string;
}): Promise<WrittenImage> {
  const dir = options.dir ?? (await makeTempDir('layout'));
  const artifact = options.configMediaType !== undefined && options.configMediaType !== OCI_CONFIG;
  const config = artifact
    ? options.config
    : { ...options.config, rootfs: { type: 'layers', diff_ids: options.layers.map((l) => l.diffId) } };
  const configBlob = await putBlob(dir, Buffer.from(JSON.stringify(config)));
  const layers = [];
  for (const l of options.layers) layers.push({ mediaType: l.mediaType, ...(await putBlob(dir, l.bytes)) });
  const manifest = {
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config: { mediaType: options.configMediaType ?? OCI_CONFIG, ...configBlob },
    layers,
  };
  const blob = await putBlob(dir, Buffer.from(JSON.stringify(manifest)));
  await tagIn(dir, options.tag, { mediaType: OCI_MANIFEST, ...blob });
  return { dir, ref: `oci:${dir}:${options.tag}`, ...blob, configDigest: configBlob.digest, layers };
}

/**
 * The index tagged `from` in `dir`, plus a BuildKit attestation manifest for its first image
 * (platform unknown/unknown, `vnd.docker.reference.*` annotations), tagged `tag`.
 */
export async function withAttestation(
  dir: string,
  from: string,
  tag: string,
): Promise<{ ref: string; digest: string; attestation: string; subject: string }> {
  const layout = JSON.parse(await readFile(join(dir, 'index.json'), 'utf8')) as { manifests: Descriptor[] };
  const top = layout.manifests.find((m) => m.annotations?.[REF_NAME_ANNOTATION] === from);
  if (!top) throw new Error(`no ${from} in ${dir}`);
  const index = JSON.parse(await readFile(join(dir, 'blobs', 'sha256', top.digest.slice(7)), 'utf8')) as {
    manifests: Descriptor[];
  };
  const subject = index.manifests[0]!.digest;
  const statement = Buffer.from(
    JSON.stringify({
      _type: 'https://in-toto.io/Statement/v0.1',
      predicateType: 'https://slsa.dev/provenance/v0.2',
      subject: [{ name: 'app', digest: { sha256: subject.slice(7) } }],
      predicate: {},
    }),
  );
  const layer = await putBlob(dir, statement);
  const config = await putBlob(
    dir,
    Buffer.from(
      JSON.stringify({
        architecture: 'unknown',
        os: 'unknown',
        config: {},
        rootfs: { type: 'layers', diff_ids: [layer.digest] },
      }),
    ),
  );
  const manifest = await putBlob(
    dir,
    Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: OCI_MANIFEST,
        config: { mediaType: OCI_CONFIG, ...config },
        layers: [
          {
            mediaType: 'application/vnd.in-toto+json',
            ...layer,
            annotations: { 'in-toto.io/predicate-type': 'https://slsa.dev/provenance/v0.2' },
          },
        ],
      }),
    ),
  );
  const entry = {
    mediaType: OCI_MANIFEST,
    ...manifest,
    annotations: {
      'vnd.docker.reference.digest': subject,
      'vnd.docker.reference.type': 'attestation-manifest',
    },
    platform: { architecture: 'unknown', os: 'unknown' },
  };
  const blob = await putBlob(
    dir,
    Buffer.from(
      JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [...index.manifests, entry] }),
    ),
  );
  await tagIn(dir, tag, { mediaType: OCI_INDEX, ...blob });
  return { ref: `oci:${dir}:${tag}`, digest: blob.digest, attestation: manifest.digest, subject };
}
