/**
 * Manifest and index types, and a validating parser for what registries and files hand us
 * (opencontainers/image-spec manifest.md, image-index.md; Docker v2 schema 2 and manifest list).
 *
 * Validation covers the fields ferry acts on — schemaVersion, media types, every descriptor's
 * digest and size — and the type of every other field the interfaces below declare (a platform's
 * variant, annotations...), since code past this point trusts those types; unknown fields pass
 * through, as the spec asks. The raw bytes stay the source of truth: a digest is over the bytes
 * as received, never over a re-serialisation.
 */
import { isDigest } from '../digest/index.js';
import { FerryError, InvalidContentError } from '../errors.js';
import { isObject } from '../util/is-object.js';
import type { Descriptor, Platform } from './descriptor.js';
import { isImageManifestType, isIndexType, isManifestType, isMediaType, MediaType } from './media-types.js';

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

const isString = (v: unknown): v is string => typeof v === 'string';
const isStringArray = (v: unknown): boolean => Array.isArray(v) && v.every(isString);
const isStringMap = (v: unknown): boolean => isObject(v) && Object.values(v).every(isString);
/** An optional field: absent, or of its declared type (null is neither). */
const absentOr = (v: unknown, ok: (v: unknown) => boolean): boolean => v === undefined || ok(v);

/**
 * A value from the document, for a message: strings quoted with control characters escaped (the
 * message stays one line) and cut short; arrays and objects by kind only, since String() throws on
 * `{"toString": 1}` and JSON.stringify overflows the stack on deeply nested arrays.
 */
export function shown(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 80 ? `${v.slice(0, 80)}…` : v);
  if (Array.isArray(v)) return 'an array';
  return isObject(v) ? 'an object' : String(v);
}

function checkPlatform(value: unknown, what: string): Platform {
  if (!isObject(value) || typeof value['os'] !== 'string' || typeof value['architecture'] !== 'string') {
    fail(what, 'platform needs string "os" and "architecture"');
  }
  // Platform selection lower-cases the variant and compares os.version as strings, and copies os.features.
  if (
    !absentOr(value['variant'], isString) ||
    !absentOr(value['os.version'], isString) ||
    !absentOr(value['os.features'], isStringArray)
  ) {
    fail(what, 'platform "variant" and "os.version" must be strings, "os.features" an array of strings');
  }
  return value as unknown as Platform;
}

/** The optional fields manifests, indexes and descriptors share: annotations and artifactType. */
function checkCommonFields(value: Record<string, unknown>, what: string, whose: string): void {
  if (!absentOr(value['annotations'], isStringMap))
    fail(what, `${whose} "annotations" must map strings to strings`);
  if (!absentOr(value['artifactType'], isString)) fail(what, `${whose} "artifactType" must be a string`);
}

export function checkDescriptor(value: unknown, what: string): Descriptor {
  if (!isObject(value)) fail(what, 'descriptor is not an object');
  const { mediaType, digest, size } = value;
  if (typeof mediaType !== 'string' || mediaType === '') fail(what, 'descriptor without a mediaType');
  if (!isMediaType(mediaType))
    fail(what, `descriptor mediaType ${shown(mediaType)} is not a media type (RFC 6838)`);
  if (typeof digest !== 'string' || !isDigest(digest))
    fail(what, `descriptor digest ${shown(digest)} is not a valid sha256/sha512 digest`);
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0)
    fail(what, `descriptor ${digest} has an invalid size`);
  if (value['platform'] !== undefined) checkPlatform(value['platform'], what);
  if (!absentOr(value['urls'], isStringArray)) fail(what, `descriptor ${digest} "urls" must be strings`);
  checkCommonFields(value, what, `descriptor ${digest}`);
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
  if (doc['schemaVersion'] !== 2) fail(what, `schemaVersion is ${shown(doc['schemaVersion'])}, expected 2`);
  if (!absentOr(doc['mediaType'], isString)) fail(what, `mediaType field is ${shown(doc['mediaType'])}`);
  checkCommonFields(doc, what, 'document');
  const declared = typeof doc['mediaType'] === 'string' ? doc['mediaType'] : undefined;
  const header = contentType?.split(';')[0]?.trim();
  const mediaType = isIndexType(header) || isImageManifestType(header) ? header : declared;
  if (declared !== undefined && mediaType !== undefined && declared !== mediaType) {
    fail(what, `mediaType field ${shown(declared)} contradicts ${shown(mediaType)}`);
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
  fail(what, `unsupported media type ${shown(mediaType)}`);
}

/**
 * Parses the manifest a descriptor names (an OCI layout's index.json entry, an index's child),
 * after the bytes were verified against it. The descriptor's media type must be one ferry reads:
 * it decides how the document is parsed, and ferry cannot know what another kind of document
 * references, so copying it would push half an image (image-index.md asks readers to ignore
 * unknown entries; a copy cannot, the index's digest covers them). E_UNSUPPORTED, exit 7.
 */
export function parseDescribedManifest(
  descriptor: Descriptor,
  bytes: Uint8Array,
  what: string,
): ParsedManifest {
  if (!isManifestType(descriptor.mediaType)) {
    throw new FerryError(
      'E_UNSUPPORTED',
      `${what}: unsupported manifest media type ${shown(descriptor.mediaType)} (ferry reads OCI and Docker v2 manifests and indexes)`,
    );
  }
  return parseManifest(bytes, descriptor.mediaType, what);
}

/** Sum of what an image manifest references: config plus layers (what `ls -l` shows as size). */
export function imageSize(manifest: ImageManifest): number {
  return manifest.layers.reduce((sum, layer) => sum + layer.size, manifest.config.size);
}
