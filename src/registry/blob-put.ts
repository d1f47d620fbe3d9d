/**
 * `ferry blob put`: a local file, or standard input, as one blob of a repository.
 *
 * The data is hashed first (one read), so a blob the registry already has costs one HEAD and
 * nothing is sent, as crane and oras check before they push; otherwise it goes up with its digest
 * and length known (upload.ts uploadBlob: one PATCH with Content-Length, then PUT ?digest=), and
 * an upload that breaks on the way is sent again from the start with a fresh session (--retries),
 * since a PATCH body cannot be replayed by the transport.
 *
 * Both need the bytes twice. A file is read twice; standard input redirected from a file is read
 * in place; only a pipe is written to a private temp file first (util/spool.ts), and removed after.
 * Memory stays flat throughout.
 */
import { createHash } from 'node:crypto';
import { createReadStream, fstatSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { repositoryScope } from '../auth/scope.js';
import { localErrorFrom } from '../errors.js';
import type { Retrier } from '../http/retry.js';
import { spool } from '../util/spool.js';
import { BLOB_FILE_CHUNK } from '../util/young-gc.js';
import { blobExists } from './blobs.js';
import type { RegistryClient } from './client.js';
import { uploadBlob } from './upload.js';

export type BlobSource = { kind: 'file'; path: string } | { kind: 'stream'; stream: Readable };

export interface PutBlobResult {
  digest: string;
  size: number;
  /** The registry had the blob already: nothing was sent. */
  existing: boolean;
}

/** Something that can be read from the start any number of times. */
type Reopen = () => Readable;

/** A read error as a LocalError naming `name` (Node leaves the path out of errors on an open file). */
function readError(err: unknown, name: string): unknown {
  if (err instanceof Error && typeof (err as NodeJS.ErrnoException).code === 'string')
    (err as NodeJS.ErrnoException).path ??= name;
  return localErrorFrom(err) ?? err;
}

async function measure(open: Reopen, name: string): Promise<{ digest: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  await pipeline(open(), async (chunks: AsyncIterable<Buffer>) => {
    for await (const chunk of chunks) {
      hash.update(chunk);
      size += chunk.length;
    }
  }).catch((err: unknown) => {
    throw readError(err, name);
  });
  return { digest: `sha256:${hash.digest('hex')}`, size };
}

async function putFrom(
  client: RegistryClient,
  repository: string,
  open: Reopen,
  name: string,
  retrier: Retrier,
): Promise<PutBlobResult> {
  const { digest, size } = await measure(open, name);
  const scopes = [repositoryScope(repository, ['pull', 'push'])];
  const descriptor = { mediaType: 'application/octet-stream', digest, size };
  if (await blobExists(client, repository, descriptor, scopes)) return { digest, size, existing: true };
  const what = `blob ${digest} for ${client.registry}/${repository}`;
  // Read again for each attempt; the stream is checked against the digest just measured, so a
  // file that changed in between fails (exit 6) instead of storing something else.
  await retrier.run(what, () => uploadBlob({ client, repository, scopes }, open(), { digest, size }));
  return { digest, size, existing: false };
}

/** A readable file descriptor that is a regular file (a shell's `< file`): readable from 0 again. */
function regularFileFd(stream: Readable): number | undefined {
  const fd = (stream as { fd?: unknown }).fd;
  if (typeof fd !== 'number') return undefined;
  try {
    return fstatSync(fd).isFile() ? fd : undefined;
  } catch {
    return undefined;
  }
}

export async function putBlob(
  client: RegistryClient,
  repository: string,
  source: BlobSource,
  retrier: Retrier,
): Promise<PutBlobResult> {
  if (source.kind === 'file') {
    const { path } = source;
    return putFrom(
      client,
      repository,
      () => createReadStream(path, { highWaterMark: BLOB_FILE_CHUNK }),
      path,
      retrier,
    );
  }
  const fd = regularFileFd(source.stream);
  if (fd !== undefined) {
    const open = () =>
      createReadStream('', { fd, start: 0, autoClose: false, highWaterMark: BLOB_FILE_CHUNK });
    return putFrom(client, repository, open, 'standard input', retrier);
  }
  const spooled = await spool(source.stream, 'blob').catch((err: unknown) => {
    throw localErrorFrom(err) ?? err;
  });
  try {
    const open = () => createReadStream(spooled.path, { highWaterMark: BLOB_FILE_CHUNK });
    return await putFrom(client, repository, open, 'standard input', retrier);
  } finally {
    await spooled.remove();
  }
}
