/**
 * One layer gzip'd into a file, hashed as it is written (layer-packer.ts). The adaptive gzip
 * (adaptive-gzip.ts) gives the same bytes for the same input on the same zlib.
 */
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { type Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { adaptiveGzip } from './adaptive-gzip.js';

export async function gzipToFile(input: Readable, path: string): Promise<{ digest: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  const measure = new Transform({
    transform(chunk: Buffer, _enc, next) {
      hash.update(chunk);
      size += chunk.length;
      next(null, chunk);
    },
  });
  // 'wx': a fresh file of the run's own folder; flush: its data is on disk before it is named done.
  await pipeline(input, adaptiveGzip(), measure, createWriteStream(path, { flags: 'wx', flush: true }));
  return { digest: `sha256:${hash.digest('hex')}`, size };
}
