/**
 * A stream written to a private temp file (a fresh 0700 directory under the system temp dir,
 * $TMPDIR honoured), for data that must be read more than once but arrives once: a blob on a pipe
 * is hashed before it is sent, and sent again when an upload is retried. Memory stays flat; the
 * caller removes the file when done (also after a failure or Ctrl-C).
 */
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

export interface Spooled {
  path: string;
  remove(): Promise<void>;
}

export async function spool(source: Readable, name: string): Promise<Spooled> {
  const dir = await mkdtemp(join(tmpdir(), 'ferry-'));
  const remove = (): Promise<void> => rm(dir, { recursive: true, force: true });
  const path = join(dir, name);
  try {
    await pipeline(source, createWriteStream(path, { mode: 0o600, flags: 'wx' }));
  } catch (err) {
    await remove();
    throw err;
  }
  return { path, remove };
}
