/**
 * `ferry blob`: one blob, by digest, to a stream or a file, verified on the way (digest and
 * size: digest/verify.ts) and resumed with Range if the connection breaks (resume.ts).
 *
 * The size comes from a HEAD first, because verification and resuming both need it and a bare
 * digest does not carry it (crane's `blob` streams without; ferry would then be unable to tell a
 * short body from a complete one).
 *
 * To a file: temp file + rename (util/atomic-file.ts), so a failed check leaves no file at all.
 * To a stream: bytes must flow before the end is checked, but the last chunk is held back until
 * the digest matched. A consumer that ignores the exit status then sees a truncated stream
 * (which tar and gzip reject), never a complete-looking corrupt one.
 */
import { once } from 'node:events';
import type { Readable, Writable } from 'node:stream';
import { repositoryScope } from '../auth/scope.js';
import { InvalidContentError, NotFoundError } from '../errors.js';
import { writeFileAtomic } from '../util/atomic-file.js';
import { getBlobStream, headBlob } from './blobs.js';
import type { RegistryClient } from './client.js';

export type BlobSink = { kind: 'stream'; stream: Writable } | { kind: 'file'; path: string };

/** The blob's size from HEAD /v2/<name>/blobs/<digest> (end-2). */
export async function blobSize(client: RegistryClient, repository: string, digest: string): Promise<number> {
  const what = `blob ${digest} of ${client.registry}/${repository}`;
  const head = await headBlob(client, repository, digest, [repositoryScope(repository, ['pull'])]);
  if (!head.found) throw new NotFoundError(`${what} not found`);
  if (head.size === undefined)
    throw new InvalidContentError(`${what}: the registry did not say how large it is (no Content-Length)`);
  return head.size;
}

async function writeAll(out: Writable, chunk: Buffer): Promise<void> {
  if (!out.write(chunk)) await once(out, 'drain');
}

/** Streams `source` into `out`, holding the newest chunk back until `source` ended cleanly. */
async function copyHoldingLast(source: Readable, out: Writable): Promise<void> {
  let held: Buffer | undefined;
  for await (const chunk of source as AsyncIterable<Buffer>) {
    if (held) await writeAll(out, held);
    held = chunk;
  }
  // The verifying stream ends only after its digest and size matched.
  if (held) await writeAll(out, held);
}

/** Downloads blob `digest` of `repository` into `sink`; resolves with its size. */
export async function downloadBlob(
  client: RegistryClient,
  repository: string,
  digest: string,
  sink: BlobSink,
): Promise<number> {
  const size = await blobSize(client, repository, digest);
  const body = await getBlobStream(client, repository, {
    mediaType: 'application/octet-stream',
    digest,
    size,
  });
  try {
    if (sink.kind === 'file') await writeFileAtomic(sink.path, body);
    else await copyHoldingLast(body, sink.stream);
  } finally {
    body.destroy();
  }
  return size;
}
