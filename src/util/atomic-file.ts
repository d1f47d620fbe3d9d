/**
 * Writing a file so that readers only ever see the old content or the whole new content: the bytes
 * go to a temp file beside the target (same directory, hence same filesystem, so rename(2) is
 * atomic), are fsynced, and the temp file is renamed over the target. On any failure, including a
 * source that fails part-way (a digest mismatch at the end of a blob), the temp file is removed
 * and the target is left as it was. The directory is fsynced after the rename so the new name
 * survives a crash (ext4/xfs otherwise may commit the rename before the data; docker's
 * `ioutils.AtomicWriteFile` and ggcr's layout writer do the same dance).
 */
import { randomBytes } from 'node:crypto';
import { chmod, type FileHandle, open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { LocalError } from '../errors.js';

export interface AtomicWriteOptions {
  /**
   * The file's exact mode (set with chmod, so the umask does not narrow it). Absent: a new file's
   * usual 0666 less the umask.
   */
  mode?: number | undefined;
}

/** `.NAME.tmp-PID-RANDOM` beside `path`: hidden, and never mistaken for the real file. */
export function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`);
}

function localError(action: string, path: string, err: unknown): LocalError {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return new LocalError(`cannot ${action} ${path}: ${code ?? (err instanceof Error ? err.message : err)}`, {
    cause: err,
  });
}

/**
 * Writes `content` (bytes, or a stream of chunks such as a verified blob) to `path` atomically.
 * Resolves with the number of bytes written. Errors from `content` itself pass through unchanged
 * (a DigestMismatchError keeps its exit code); file system errors become LocalError.
 */
export async function writeFileAtomic(
  path: string,
  content: Uint8Array | AsyncIterable<Uint8Array>,
  options: AtomicWriteOptions = {},
): Promise<number> {
  const temp = tempPathFor(path);
  let handle: FileHandle | undefined;
  let written = 0;
  try {
    // 'wx': never follow or reuse a file someone else put at the temp name.
    handle = await open(temp, 'wx', options.mode ?? 0o666).catch((err: unknown) => {
      throw localError('create a temporary file for', path, err);
    });
    const write = async (chunk: Uint8Array): Promise<void> => {
      let offset = 0;
      while (offset < chunk.length) {
        const { bytesWritten } = await handle!
          .write(chunk, offset, chunk.length - offset)
          .catch((err: unknown) => {
            throw localError('write', path, err);
          });
        offset += bytesWritten;
      }
      written += chunk.length;
    };
    if (content instanceof Uint8Array) await write(content);
    else for await (const chunk of content) await write(chunk);
    await handle.sync().catch((err: unknown) => {
      throw localError('flush', path, err);
    });
    await handle.close();
    handle = undefined;
    if (options.mode !== undefined) {
      await chmod(temp, options.mode).catch((err: unknown) => {
        throw localError('set the mode of', path, err);
      });
    }
    await rename(temp, path).catch((err: unknown) => {
      throw localError('replace', path, err);
    });
  } catch (err) {
    await handle?.close().catch(() => {});
    await unlink(temp).catch(() => {});
    throw err;
  }
  await syncDirectory(dirname(path));
  return written;
}

/** Best effort: some file systems (and every Windows one) refuse to open or fsync a directory. */
async function syncDirectory(dir: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch {
    // The data is written and renamed; only crash durability of the name is at stake.
  } finally {
    await handle?.close().catch(() => {});
  }
}
