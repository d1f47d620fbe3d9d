/**
 * Puts the benchmark's images into the source registry straight over HTTP, streaming each
 * generated layer into one PATCH (digest learnt on the way, then the closing PUT). No OCI layout
 * on disk: a 4 GiB image would otherwise cost 4 GiB more of tmpfs (RAM) and a skopeo push.
 *
 * Images are OCI (manifest, or index for several platforms), as shared/lab/LAB.md's `make-image`
 * made them: big = one 1 GiB layer, many = 40 × 5 MiB, multi = 3 platforms × 3 × 5 MiB,
 * small = one 1 KiB layer, huge = one 4 GiB layer.
 */
import { createHash } from 'node:crypto';
import { request } from 'node:http';
import type { Readable } from 'node:stream';
import { layerStream } from './layer.js';

export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';
const OCI_LAYER_GZIP = 'application/vnd.oci.image.layer.v1.tar+gzip';

export interface ImageSpec {
  /** Repository in the source registry, e.g. 'bench/big'. */
  repository: string;
  tag: string;
  /** Payload bytes per layer. */
  layers: number[];
  /** More than one → an OCI index. */
  platforms: string[];
  /**
   * Layer bytes are keyed by `label` (default: the repository), platform, position and size; the
   * first `sharedLayers` are keyed by the repository alone, so several images of one repository
   * (tags with their own `label`) share them, as tags built on one base image do.
   */
  label?: string;
  sharedLayers?: number;
}

export interface SeededImage {
  spec: ImageSpec;
  /** Digest of the top-level manifest or index (what `digest` prints). */
  digest: string;
  mediaType: string;
  /** Every layer blob pushed: digest and size. */
  layers: { digest: string; size: number }[];
}

interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One request; `body` a Buffer, a stream (sent chunked) or nothing. */
function send(
  method: string,
  url: URL,
  headers: Record<string, string>,
  body?: Buffer | Readable,
): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers, agent: false }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (chunk: Buffer) => parts.push(chunk));
      res.once('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts).toString() }),
      );
      res.once('error', reject);
    });
    req.once('error', reject);
    if (body === undefined) req.end();
    else if (Buffer.isBuffer(body)) req.end(body);
    else {
      body.once('error', (err) => req.destroy(err));
      body.pipe(req);
    }
  });
}

function expect(answer: HttpAnswer, statuses: number[], what: string): void {
  if (!statuses.includes(answer.status))
    throw new Error(`${what}: HTTP ${answer.status} ${answer.body.slice(0, 300)}`);
}

function locationOf(answer: HttpAnswer, base: URL): URL {
  const location = answer.headers['location'];
  if (typeof location !== 'string') throw new Error('upload answer without a Location');
  return new URL(location, base);
}

/** POST an upload session, stream the body in one PATCH, then PUT with the digest it turned out to have. */
async function pushBlobStream(
  base: URL,
  repository: string,
  body: Readable,
  digest: () => Promise<string>,
): Promise<void> {
  const started = await send('POST', new URL(`/v2/${repository}/blobs/uploads/`, base), {
    'content-length': '0',
  });
  expect(started, [202], `POST upload to ${repository}`);
  const patched = await send(
    'PATCH',
    locationOf(started, base),
    { 'content-type': 'application/octet-stream' },
    body,
  );
  expect(patched, [202], `PATCH upload to ${repository}`);
  const put = locationOf(patched, base);
  put.searchParams.set('digest', await digest());
  expect(await send('PUT', put, { 'content-length': '0' }), [201], `PUT upload to ${repository}`);
}

/** A small blob (a config) in one monolithic POST-then-PUT. */
async function pushBlobBytes(base: URL, repository: string, bytes: Buffer): Promise<string> {
  const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
  const started = await send('POST', new URL(`/v2/${repository}/blobs/uploads/`, base), {
    'content-length': '0',
  });
  expect(started, [202], `POST upload to ${repository}`);
  const put = locationOf(started, base);
  put.searchParams.set('digest', digest);
  const done = await send(
    'PUT',
    put,
    { 'content-type': 'application/octet-stream', 'content-length': String(bytes.length) },
    bytes,
  );
  expect(done, [201], `PUT blob to ${repository}`);
  return digest;
}

async function putManifest(
  base: URL,
  repository: string,
  reference: string,
  mediaType: string,
  bytes: Buffer,
): Promise<string> {
  const done = await send(
    'PUT',
    new URL(`/v2/${repository}/manifests/${reference}`, base),
    { 'content-type': mediaType, 'content-length': String(bytes.length) },
    bytes,
  );
  expect(done, [201], `PUT manifest ${repository}:${reference}`);
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

function platformFields(text: string): { os: string; architecture: string; variant?: string } {
  const [os = 'linux', architecture = 'amd64', variant] = text.split('/');
  return variant === undefined ? { os, architecture } : { os, architecture, variant };
}

/** Pushes one platform's image (layers, config, manifest by digest); returns its descriptor. */
async function pushPlatform(
  base: URL,
  spec: ImageSpec,
  platform: string,
  layersOut: { digest: string; size: number }[],
): Promise<{ digest: string; size: number; bytes: Buffer }> {
  const layers = [];
  for (const [i, size] of spec.layers.entries()) {
    const owner = i < (spec.sharedLayers ?? 0) ? spec.repository : (spec.label ?? spec.repository);
    const { stream, digests } = layerStream(`${owner}/${platform}/${i}/${size}`, i, size);
    await pushBlobStream(base, spec.repository, stream, async () => (await digests).digest);
    const d = await digests;
    layers.push(d);
    layersOut.push({ digest: d.digest, size: d.size });
  }
  const config = Buffer.from(
    JSON.stringify({
      created: '2024-01-01T00:00:00Z',
      ...platformFields(platform),
      config: {
        Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
        Cmd: ['/bin/sh'],
      },
      rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
      history: layers.map((l, i) => ({
        created: '2024-01-01T00:00:00Z',
        created_by: `bench layer ${i} (${l.size} bytes)`,
      })),
    }),
  );
  const configDigest = await pushBlobBytes(base, spec.repository, config);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: OCI_CONFIG, digest: configDigest, size: config.length },
      layers: layers.map((l) => ({ mediaType: OCI_LAYER_GZIP, digest: l.digest, size: l.size })),
    }),
  );
  const digest = `sha256:${createHash('sha256').update(manifest).digest('hex')}`;
  await putManifest(base, spec.repository, digest, OCI_MANIFEST, manifest);
  return { digest, size: manifest.length, bytes: manifest };
}

/** Pushes an image (one platform) or an index (several) and tags it. */
export async function seedImage(registryUrl: string, spec: ImageSpec): Promise<SeededImage> {
  const base = new URL(registryUrl);
  const layers: { digest: string; size: number }[] = [];
  const built = [];
  for (const platform of spec.platforms) {
    built.push({ platform, ...(await pushPlatform(base, spec, platform, layers)) });
  }
  if (built.length === 1) {
    const only = built[0]!;
    await putManifest(base, spec.repository, spec.tag, OCI_MANIFEST, only.bytes);
    return { spec, digest: only.digest, mediaType: OCI_MANIFEST, layers };
  }
  const index = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_INDEX,
      manifests: built.map((b) => ({
        mediaType: OCI_MANIFEST,
        digest: b.digest,
        size: b.size,
        platform: (({ os, architecture, variant }) =>
          variant === undefined ? { architecture, os } : { architecture, os, variant })(
          platformFields(b.platform),
        ),
      })),
    }),
  );
  const digest = await putManifest(base, spec.repository, spec.tag, OCI_INDEX, index);
  return { spec, digest, mediaType: OCI_INDEX, layers };
}

export interface RepositorySpec extends Omit<ImageSpec, 'tag' | 'label'> {
  tags: string[];
}

/** One image per tag, each with layers of its own past the shared ones (`sharedLayers`). */
export async function seedRepository(
  registryUrl: string,
  spec: RepositorySpec,
): Promise<Map<string, SeededImage>> {
  const { tags, ...image } = spec;
  const seeded = new Map<string, SeededImage>();
  for (const tag of tags)
    seeded.set(tag, await seedImage(registryUrl, { ...image, tag, label: `${spec.repository}:${tag}` }));
  return seeded;
}

/** HEAD a manifest: its digest, or undefined when absent (used to check each run's result). */
export async function manifestDigest(
  registryUrl: string,
  repository: string,
  reference: string,
): Promise<string | undefined> {
  const answer = await send('HEAD', new URL(`/v2/${repository}/manifests/${reference}`, registryUrl), {
    accept: [
      OCI_MANIFEST,
      OCI_INDEX,
      'application/vnd.docker.distribution.manifest.v2+json',
      'application/vnd.docker.distribution.manifest.list.v2+json',
    ].join(', '),
  });
  if (answer.status === 404) return undefined;
  expect(answer, [200], `HEAD ${repository}:${reference}`);
  const digest = answer.headers['docker-content-digest'];
  return typeof digest === 'string' ? digest : undefined;
}

/** POST an upload session and return its Location (for the curl ingest limit). */
export async function openUpload(registryUrl: string, repository: string): Promise<string> {
  const base = new URL(registryUrl);
  const started = await send('POST', new URL(`/v2/${repository}/blobs/uploads/`, base), {
    'content-length': '0',
  });
  expect(started, [202], `POST upload to ${repository}`);
  return locationOf(started, base).toString();
}
