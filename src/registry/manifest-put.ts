/**
 * `ferry manifest put`: a manifest or index written by hand (or by another tool) into a
 * repository, byte for byte, so its digest is the sha256 of what was given.
 *
 * The Content-Type is the content's own `mediaType` field, as image-spec asks manifests to carry
 * it and registries compare the two (Distribution refuses a mismatch); `--media-type` supplies it
 * for content without one (a Docker v2 manifest always has it; an OCI one may leave it out) and
 * must agree when both are there. Only what parses as a manifest or index of a type ferry knows
 * is sent (image/manifest.ts): the registry checks that every blob and child it names is there.
 */
import { readFile, stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { digestOf } from '../digest/index.js';
import { DigestMismatchError, InvalidContentError, localErrorFrom, UsageError } from '../errors.js';
import { MAX_MANIFEST_BYTES, parseManifest } from '../image/manifest.js';
import { isManifestType, MANIFEST_ACCEPT } from '../image/media-types.js';
import { formatReference, type Reference } from '../ref/index.js';
import type { RegistryClient } from './client.js';
import { putManifest } from './manifests.js';

export type ManifestSource = { kind: 'file'; path: string } | { kind: 'stream'; stream: Readable };

export interface PutManifestResult {
  digest: string;
  mediaType: string;
  size: number;
}

const tooLarge = (what: string): InvalidContentError =>
  new InvalidContentError(
    `${what} is larger than ${MAX_MANIFEST_BYTES} bytes, the most a registry must take`,
  );

/** The whole input, at most MAX_MANIFEST_BYTES. */
async function readInput(source: ManifestSource): Promise<Buffer> {
  try {
    if (source.kind === 'file') {
      if ((await stat(source.path)).size > MAX_MANIFEST_BYTES) throw tooLarge(source.path);
      return await readFile(source.path);
    }
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of source.stream as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > MAX_MANIFEST_BYTES) throw tooLarge('standard input');
      chunks.push(Buffer.from(chunk));
    }
    return Buffer.concat(chunks);
  } catch (err) {
    throw localErrorFrom(err) ?? err;
  }
}

/** The Content-Type: the content's own mediaType, else the one given; the two must agree. */
function mediaTypeOf(bytes: Buffer, given: string | undefined, what: string): string {
  const doc = JSON.parse(bytes.toString('utf8')) as Record<string, unknown>;
  const own = typeof doc['mediaType'] === 'string' ? doc['mediaType'] : undefined;
  if (own !== undefined && given !== undefined && own !== given)
    throw new UsageError(`--media-type ${given} differs from the manifest's own mediaType ${own}`);
  const mediaType = own ?? given;
  if (mediaType === undefined) {
    throw new UsageError(`${what} has no mediaType field: say which it is with --media-type`, {
      hint: `one of ${MANIFEST_ACCEPT.join(', ')}`,
    });
  }
  if (!isManifestType(mediaType))
    throw new UsageError(`${mediaType} is not a manifest or index type (${MANIFEST_ACCEPT.join(', ')})`);
  return mediaType;
}

export async function pushManifest(
  client: RegistryClient,
  ref: Reference,
  source: ManifestSource,
  givenMediaType?: string,
): Promise<PutManifestResult> {
  const what = source.kind === 'file' ? source.path : 'standard input';
  const bytes = await readInput(source);
  // Anything that is no manifest or index at all (a config, a file that is not JSON) is
  // InvalidContentError, exit 7; then the type, and that the content fits it.
  parseManifest(bytes, undefined, what);
  const mediaType = mediaTypeOf(bytes, givenMediaType, what);
  parseManifest(bytes, mediaType, what);
  const digest = digestOf(bytes);
  const target = formatReference(ref);
  if (ref.digest !== undefined && ref.digest !== digest)
    throw new DigestMismatchError(`${what} for ${target}`, ref.digest, digest);
  const stored = await putManifest(client, ref.repository, ref.tag ?? digest, bytes, mediaType);
  // The registry says which digest it filed the bytes under: anything else means it changed them.
  if (stored?.startsWith('sha256:') && stored !== digest)
    throw new DigestMismatchError(`manifest ${target}`, digest, stored);
  return { digest, mediaType, size: bytes.length };
}
