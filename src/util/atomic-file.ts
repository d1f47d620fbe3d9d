/**
 * The one way ferry publishes a file: readers only ever see the old content or the whole new
 * content, and a published file survives a crash. The bytes go to a temp file beside the target
 * (same directory, hence same filesystem, so rename(2) is atomic), are fsynced, and the temp file
 * is renamed over the target; the directory is then fsynced so the new name survives a crash too
 * (ext4/xfs may otherwise commit the rename before the data; docker's `ioutils.AtomicWriteFile`
 * and ggcr's layout writer do the same). On any failure, including a source that fails part-way
 * (a digest mismatch at the end of a blob), the temp file is removed and the target is left as it
 * was.
 *
 * Every writer uses it: a login's config.json, `ferry blob` to a file, each blob and index.json of
 * an OCI layout, and the tarballs (store/tar-layout.ts).
 */
import { randomBytes } from 'node:crypto';
import type { WriteStream } from 'node:fs';
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
 * A file being written under a temp name, published whole by `publish()` or removed by
 * `discard()`. Write through `stream()` (one stream) or `write()`.
 */
export class PendingFile {
  private handle: FileHandle | undefined;
  private writer: WriteStream | undefined;
  private state: 'open' | 'published' | 'discarded' = 'open';

  private constructor(
    readonly target: string,
    readonly temp: string,
    handle: FileHandle,
    private readonly options: AtomicWriteOptions,
  ) {
    this.handle = handle;
  }

  /** Creates the temp file beside `target` ('wx': never following or reusing a file someone put there). */
  static async create(target: string, options: AtomicWriteOptions = {}): Promise<PendingFile> {
    const temp = tempPathFor(target);
    const handle = await open(temp, 'wx', options.mode ?? 0o666).catch((err: unknown) => {
      throw localError('create a temporary file for', target, err);
    });
    return new PendingFile(target, temp, handle, options);
  }

  /**
   * A write stream on the temp file (once; write() is not to be used beside it). It fsyncs the
   * data before it closes (`flush`), so publish() has only the rename left to do.
   */
  stream(highWaterMark = 256 * 1024): WriteStream {
    if (this.writer) return this.writer;
    if (!this.handle) throw new LocalError(`${this.target}: the file is already ${this.state}`);
    this.writer = this.handle.createWriteStream({ highWaterMark, flush: true });
    // The stream owns the handle from here on and closes it.
    this.handle = undefined;
    return this.writer;
  }

  /** Appends `chunk` (bytes written in order, however many calls). */
  async write(chunk: Uint8Array): Promise<void> {
    const handle = this.handle;
    if (!handle) throw new LocalError(`${this.target}: the file is already ${this.state}`);
    let offset = 0;
    while (offset < chunk.length) {
      const { bytesWritten } = await handle
        .write(chunk, offset, chunk.length - offset)
        .catch((err: unknown) => {
          throw localError('write', this.target, err);
        });
      offset += bytesWritten;
    }
  }

  /**
   * fsyncs the data, renames the temp file over the target and, unless told not to (a caller
   * publishing many files into one directory syncs it once: `syncDirectory`), fsyncs the directory.
   */
  async publish(options: { syncDirectory?: boolean } = {}): Promise<void> {
    const target = this.target;
    if (this.state !== 'open') throw new LocalError(`${this.target}: the file is already ${this.state}`);
    try {
      if (this.writer) await this.closeWriter(this.writer);
      const handle = this.handle;
      if (handle) {
        await handle.sync().catch((err: unknown) => {
          throw localError('flush', this.target, err);
        });
        await handle.close();
        this.handle = undefined;
      }
      if (this.options.mode !== undefined) {
        const mode = this.options.mode;
        await chmod(this.temp, mode).catch((err: unknown) => {
          throw localError('set the mode of', this.target, err);
        });
      }
      await rename(this.temp, target).catch((err: unknown) => {
        throw localError('replace', target, err);
      });
    } catch (err) {
      await this.discard();
      throw err;
    }
    this.state = 'published';
    if (options.syncDirectory !== false) await syncDirectory(dirname(target));
  }

  /** Waits for the stream to have fsynced and closed its file; its failure is the write's. */
  private async closeWriter(writer: WriteStream): Promise<void> {
    if (!writer.closed) {
      if (!writer.writableEnded) writer.end();
      await new Promise<void>((resolve) => writer.once('close', () => resolve()));
    }
    if (writer.errored) throw localError('write', this.target, writer.errored);
  }

  /** Removes the temp file (safe to call more than once, and after a failed publish). */
  async discard(): Promise<void> {
    if (this.state === 'published') return;
    this.state = 'discarded';
    const writer = this.writer;
    if (writer && !writer.closed) {
      writer.destroy();
      await new Promise<void>((resolve) => writer.once('close', () => resolve()));
    }
    const handle = this.handle;
    this.handle = undefined;
    await handle?.close().catch(() => {});
    await unlink(this.temp).catch(() => {});
  }
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
  const file = await PendingFile.create(path, options);
  let written = 0;
  try {
    const chunks = content instanceof Uint8Array ? [content] : content;
    for await (const chunk of chunks) {
      await file.write(chunk);
      written += chunk.length;
    }
    await file.publish();
  } catch (err) {
    await file.discard();
    throw err;
  }
  return written;
}

/** Best effort: some file systems (and every Windows one) refuse to open or fsync a directory. */
export async function syncDirectory(dir: string): Promise<void> {
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
