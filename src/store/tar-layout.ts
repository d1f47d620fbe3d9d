/**
 * The one writer under both tarball destinations, the OCI archive (oci-archive.ts) and the
 * docker-archive (docker-archive-destination.ts): a tar written front to back with tar-stream,
 * holding an OCI image layout (`oci-layout`, `index.json`, `blobs/<alg>/<hex>`) and, for a
 * docker-archive, the files `docker load` reads beside it.
 *
 * - Blobs stream into entries of their descriptor's size through a counting VerifyingStream (the
 *   source's stream verifies the digest itself, store.ts): one at a time, in the order given. A
 *   failure part-way leaves a broken tar, so the writer fails for good from then on.
 * - Entries carry a fixed mtime (the epoch) and fixed modes: the same image gives the same bytes.
 * - A file target is written through util/atomic-file.ts (a hidden temp file beside it, fsynced
 *   and renamed over it at `finish()`, its directory synced); an existing file is replaced, not
 *   merged, as skopeo does. Checked before the first byte: the parent must be a directory and the
 *   target must not be one.
 * - A Writable target (`-`, stdout) cannot be taken back: it is written through a borrowed
 *   stream that is ended on success and left usable (not destroyed) on failure, so the error can
 *   still be reported there.
 */
import { lstat, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { type Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { VerifyingStream } from '../digest/index.js';
import { FerryError, LocalError } from '../errors.js';
import { PendingFile } from '../util/atomic-file.js';
import { INDEX_FILE, LAYOUT_FILE, LAYOUT_FILE_BYTES } from './oci-common.js';
import type { TagState } from './store.js';

/** Fixed mtime: the same image gives the same tar bytes. */
const MTIME = new Date(0);

const errorText = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/**
 * A Writable that forwards to `target` (stdout) with backpressure, and ends it on success, but is
 * destroyed alone when the copy fails: the caller's stream stays usable for reporting the error.
 */
function borrowed(target: Writable): Writable {
  let onTargetError: ((error: Error) => void) | undefined;
  const forward = new Writable({
    highWaterMark: 256 * 1024,
    write(chunk: Buffer, _encoding, done) {
      if (target.write(chunk)) done();
      else target.once('drain', () => done());
    },
    final(done) {
      if (onTargetError) target.off('error', onTargetError);
      target.end(() => done());
    },
    destroy(error, done) {
      if (onTargetError) target.off('error', onTargetError);
      done(error);
    },
  });
  onTargetError = (error) => forward.destroy(error);
  target.on('error', onTargetError);
  return forward;
}

export class TarLayoutWriter {
  private readonly pack = tar.pack();
  private readonly output: Promise<void>;
  private readonly names = new Set<string>();
  private failure: unknown;
  private state: 'open' | 'finished' | 'aborted' = 'open';

  private constructor(
    readonly description: string,
    sink: Writable,
    /** The file being written, for a file target. */
    private readonly file: PendingFile | undefined,
  ) {
    // The pack streams into the sink as entries are added; a write failure is remembered (not
    // thrown), so the next entry or finish() reports it.
    this.output = pipeline(this.pack, sink).catch((error: unknown) => {
      this.failure ??= error;
    });
  }

  /**
   * Opens a writer on a file path or a Writable. A file's parent must exist and the path must not
   * be a directory: checked here, before any byte is fetched for it.
   */
  static async open(description: string, target: string | Writable): Promise<TarLayoutWriter> {
    if (typeof target !== 'string') return new TarLayoutWriter(description, borrowed(target), undefined);
    const kind = (path: string) =>
      stat(path).then(
        (info) => (info.isDirectory() ? 'directory' : 'other'),
        () => 'absent' as const,
      );
    if ((await kind(dirname(target))) !== 'directory')
      throw new LocalError(`${description}: no such directory ${dirname(target)}`);
    if ((await kind(target)) === 'directory')
      throw new LocalError(`${description}: ${target} is a directory; name a file to write the tarball to`);
    const file = await PendingFile.create(target);
    return new TarLayoutWriter(description, file.stream(), file);
  }

  /**
   * What the archive's tags would replace: 'unknown' when a file is at the target now (commit
   * replaces it whole, its tags with it, so no tag of it can be left alone), 'absent' for a new
   * file or a stream. What --no-clobber asks an archive destination (store.ts TagState).
   */
  async tagState(): Promise<TagState> {
    const target = this.file?.target;
    if (target === undefined) return { kind: 'absent' };
    const there = await lstat(target).then(
      () => true,
      (error: unknown) => (error as NodeJS.ErrnoException).code !== 'ENOENT',
    );
    return there
      ? { kind: 'unknown', why: `${target} exists and would be replaced whole, not merged` }
      : { kind: 'absent' };
  }

  /** Whether an entry of that name was written. */
  has(name: string): boolean {
    return this.names.has(name);
  }

  /** Throws the writer's failure, or that it is no longer open. */
  check(): void {
    if (this.state !== 'open')
      throw new LocalError(`${this.description}: the archive is already ${this.state}`);
    if (this.failure === undefined) return;
    if (this.failure instanceof FerryError) throw this.failure;
    throw new LocalError(`writing ${this.file?.target ?? 'the archive'}: ${errorText(this.failure)}`, {
      cause: this.failure,
    });
  }

  /**
   * `oci-layout` goes first, as skopeo writes it (a reader of the stream knows the format at once),
   * but only with the first real entry: a copy that fails before it writes nothing at all to a
   * stream that cannot be taken back.
   */
  private async begin(): Promise<void> {
    if (this.names.has(LAYOUT_FILE)) return;
    this.names.add(LAYOUT_FILE);
    await this.entry(LAYOUT_FILE, LAYOUT_FILE_BYTES.length, async (entry) => {
      entry.end(LAYOUT_FILE_BYTES);
    });
  }

  /** A small file, whole. */
  async addBuffer(name: string, bytes: Buffer): Promise<void> {
    this.check();
    await this.begin();
    this.addParents(name);
    await this.entry(name, bytes.length, async (entry) => {
      entry.end(bytes);
    });
  }

  /**
   * A blob streamed into an entry of its descriptor's size. The stream comes from a store source,
   * which verifies the digest itself (store.ts): here it is counted and its size checked.
   */
  async addStream(
    name: string,
    blob: { digest: string; size: number },
    data: Readable,
    what: string,
  ): Promise<void> {
    this.check();
    await this.begin();
    this.addParents(name);
    const count = new VerifyingStream({ digest: blob.digest, size: blob.size, what, hash: false });
    try {
      await this.entry(name, blob.size, (entry) => pipeline(data, count, entry));
    } catch (error) {
      data.destroy();
      throw error;
    }
  }

  /** `index.json`, last: with `oci-layout` (first) the archive is an OCI layout whatever else it holds. */
  async addIndex(index: Buffer): Promise<void> {
    await this.addBuffer(INDEX_FILE, index);
  }

  /** Ends the tar and publishes the file (or ends the borrowed stream). */
  async finish(): Promise<void> {
    this.check();
    this.pack.finalize();
    await this.output;
    this.check();
    await this.file?.publish();
    this.state = 'finished';
  }

  /** Stops writing and removes the temp file; a Writable target is left open for the error. */
  async abort(): Promise<void> {
    if (this.state !== 'open') return;
    this.state = 'aborted';
    this.failure ??= new LocalError('aborted');
    this.pack.destroy();
    await this.output;
    await this.file?.discard();
  }

  /** Directory entries (`blobs/`, `blobs/sha256/`) before the first file in them, once each. */
  private addParents(path: string): void {
    this.names.add(path);
    const parts = path.split('/').slice(0, -1);
    for (let i = 1; i <= parts.length; i++) {
      const dir = `${parts.slice(0, i).join('/')}/`;
      if (this.names.has(dir)) continue;
      this.names.add(dir);
      const entry = this.pack.entry({ name: dir, type: 'directory', mode: 0o755, mtime: MTIME });
      entry.on('error', () => {}); // reported through the pack's own failure
    }
  }

  /** Adds one file entry and resolves once tar-stream has taken all of it. */
  private async entry(name: string, size: number, fill: (entry: Writable) => Promise<void>): Promise<void> {
    let entry: Writable | undefined;
    const added = new Promise<void>((resolve, reject) => {
      entry = this.pack.entry({ name, size, type: 'file', mode: 0o644, mtime: MTIME }, (error) =>
        error ? reject(error) : resolve(),
      );
    });
    added.catch(() => {});
    try {
      await fill(entry!);
      await added;
    } catch (error) {
      // Part of the entry may be in the tar already: the archive is unusable from here on.
      this.failure ??= error;
      throw error;
    }
  }
}
