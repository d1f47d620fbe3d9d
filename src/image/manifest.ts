/**
 * Manifest and index types, and a validating parser for what registries and files hand us
 * (opencontainers/image-spec manifest.md, image-index.md; Docker v2 schema 2 and manifest list).
 *
 * Validation covers the fields ferry acts on — schemaVersion, media types, every descriptor's
 * digest and size — and lets unknown fields through, as the spec asks. The raw bytes stay the
 * source of truth: a digest is over the bytes as received, never over a re-serialisation.
 */
import { isDigest } from '../digest/index.js';
import { InvalidContentError } from '../errors.js';
import type { Descriptor, Platform } from './descriptor.js';
import { isImageManifestType, isIndexType, MediaType } from './media-types.js';

export interface ImageManifest {
  schemaVersion: 2;
  mediaType?: string;
  artifactType?: string;
  config: Descriptor;
  layers: Descriptor[];
  subject?: Descriptor;
  annotations?: Record<string, string>;
}

export interface ImageIndex {
  schemaVersion: 2;
  mediaType?: string;
  artifactType?: string;
  manifests: Descriptor[];
  subject?: Descriptor;
  annotations?: Record<string, string>;
}

export type ParsedManifest =
  | { kind: 'index'; mediaType: string; index: ImageIndex }
  | { kind: 'image'; mediaType: string; manifest: ImageManifest };

/** Registries and OCI layouts cap what they accept; 4 MiB is the spec's SHOULD-accept size. */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

function fail(what: string, problem: string): never {
  throw new InvalidContentError(`invalid ${what}: ${problem}`);
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function checkPlatform(value: unknown, what: string): Platform {
  if (!isObject(value) || typeof value['os'] !== 'string' || typeof value['architecture'] !== 'string') {
    fail(what, 'platform needs string "os" and "architecture"');
  }
  return value as unknown as Platform;
}

export function checkDescriptor(value: unknown, what: string): Descriptor {
  if (!isObject(value)) fail(what, 'descriptor is not an object');
  const { mediaType, digest, size } = value;
  if (typeof mediaType !== 'string' || mediaType === '') fail(what, 'descriptor without a mediaType');
  if (typeof digest !== 'string' || !isDigest(digest))
    fail(what, `descriptor digest '${String(digest).slice(0, 80)}' is not a valid sha256/sha512 digest`);
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0)
    fail(what, `descriptor ${digest} has an invalid size`);
  if (value['platform'] !== undefined) checkPlatform(value['platform'], what);
  return value as unknown as Descriptor;
}

/**
 * Parses manifest bytes. `contentType` is the Content-Type the registry sent (or the
 * descriptor's media type); when absent or generic, the document's own mediaType field decides.
 */
export function parseManifest(bytes: Uint8Array, contentType?: string, what = 'manifest'): ParsedManifest {
  if (bytes.length > MAX_MANIFEST_BYTES) fail(what, `larger than ${MAX_MANIFEST_BYTES} bytes`);
  let doc: unknown;
  try {
    doc = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    fail(what, 'not JSON');
  }
  if (!isObject(doc)) fail(what, 'not a JSON object');
  if (doc['schemaVersion'] === 1) {
    fail(what, 'Docker schema 1 manifests are deprecated and not supported');
  }
  if (doc['schemaVersion'] !== 2)
    fail(what, `schemaVersion is ${JSON.stringify(doc['schemaVersion'])}, expected 2`);
  const declared = typeof doc['mediaType'] === 'string' ? doc['mediaType'] : undefined;
  const header = contentType?.split(';')[0]?.trim();
  const mediaType = isIndexType(header) || isImageManifestType(header) ? header : declared;
  if (declared !== undefined && mediaType !== undefined && declared !== mediaType) {
    fail(what, `mediaType field '${declared}' contradicts '${mediaType}'`);
  }
  if (doc['subject'] !== undefined) checkDescriptor(doc['subject'], what);

  const looksLikeIndex = Array.isArray(doc['manifests']);
  if (isIndexType(mediaType) || (mediaType === undefined && looksLikeIndex)) {
    if (!Array.isArray(doc['manifests'])) fail(what, 'index without a "manifests" array');
    doc['manifests'].forEach((d, i) => {
      checkDescriptor(d, `${what} (manifests[${i}])`);
    });
    return { kind: 'index', mediaType: mediaType ?? MediaType.ociIndex, index: doc as unknown as ImageIndex };
  }
  if (isImageManifestType(mediaType) || mediaType === undefined) {
    checkDescriptor(doc['config'], `${what} (config)`);
    if (!Array.isArray(doc['layers'])) fail(what, 'manifest without a "layers" array');
    doc['layers'].forEach((d, i) => {
      checkDescriptor(d, `${what} (layers[${i}])`);
    });
    return {
      kind: 'image',
      mediaType: mediaType ?? MediaType.ociManifest,
      manifest: doc as unknown as ImageManifest,
    };
  }
  fail(what, `unsupported media type '${mediaType}'`);
}

/** Sum of what an image manifest references: config plus layers (what `ls -l` shows as size). */
export function imageSize(manifest: ImageManifest): number {
  return manifest.layers.reduce((sum, layer) => sum + layer.size, manifest.config.size);
}
