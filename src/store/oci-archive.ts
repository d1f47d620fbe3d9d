/**
 * An OCI image layout in a tar file, `oci-archive:FILE[:TAG]` (what skopeo's oci-archive:,
 * BuildKit's `type=oci` and `oras backup` write).
 *
 *   openOciArchiveSource(file, tag?)               → ImageSource; random access through a
 *                                                    TarIndex, nothing is extracted to disk
 *   openOciArchiveDestination(file | Writable, tag?) → ImageDestination (sequential, no putBlobStream)
 *
 * Reading has the same semantics as the layout directory (oci-common.ts): `./`-prefixed names
 * and links inside the tar are followed.
 *
 * Writing is front to back with tar-stream: `oci-layout` and the `blobs/` folders first, then
 * each blob and manifest as `blobs/<alg>/<hex>` in the order the copy sends them (a blob streams
 * into an entry of the descriptor's size through a VerifyingStream; any mismatch destroys the
 * whole tar), `index.json` last in `commit()`. A file target is written to
 * `FILE.tmp-<random>` beside it, fsync'd and renamed over FILE at commit (an existing FILE is
 * replaced, not merged, as skopeo does); `abort()` destroys the tar and deletes the temp file.
 * With a Writable target (stdout) there is no rename, and abort just destroys the stream.
 */
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createWriteStream, type WriteStream } from 'node:fs';
import { rename, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { finished, pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { parseDigest, VerifyingStream, verifyBytes } from '../digest/index.js';
import { FerryError, LocalError, NotFoundError } from '../errors.js';
import type { Descriptor } from '../image/descriptor.js';
import { describeLocation } from './location.js';
import {
  blobPath,
  INDEX_FILE,
  LAYOUT_FILE,
  LAYOUT_FILE_BYTES,
  type LayoutFiles,
  mergeIndexJson,
  OciSource,
} from './oci-common.js';
import type {
  DestinationTraits,
  ImageDestination,
  ImageSource,
  PutManifestOptions,
  StoredManifest,
} from './store.js';
import { TarIndex } from './tar-index.js';

/** LayoutFiles over a scanned tar. */
class TarFiles implements LayoutFiles {
  constructor(
    private readonly index: TarIndex,
    private readonly description: string,
  ) {}

  async read(name: string, maxBytes: number): Promise<Buffer | undefined> {
    if (this.index.resolve(name) === undefined) return undefined;
    return this.index.read(name, maxBytes);
  }

  async stream(name: string): Promise<Readable> {
    if (this.index.resolve(name) === undefined)
      throw new NotFoundError(`${name} not found in ${this.description}`);
    return this.index.open(name);
  }

  async close(): Promise<void> {}
}

export async function openOciArchiveSource(file: string, tag?: string): Promise<ImageSource> {
  const description = describeLocation({ kind: 'oci-archive', path: file, tag });
  const source = new OciSource(description, new TarFiles(await TarIndex.scan(file), description), tag);
  await source.loadIndex();
  return source;
}

export async function openOciArchiveDestination(
  target: string | Writable,
  tag?: string,
): Promise<ImageDestination> {
  if (typeof target !== 'string') {
    return new OciArchiveDestination(
      describeLocation({ kind: 'oci-archive', path: '-', tag }),
      target,
      undefined,
      tag,
    );
  }
  const description = describeLocation({ kind: 'oci-archive', path: target, tag });
  const isDirectory = (path: string) =>
    stat(path).then(
      (info) => info.isDirectory(),
      () => undefined,
    );
  if ((await isDirectory(dirname(target))) !== true)
    throw new LocalError(`${description}: no such directory ${dirname(target)}`);
  if ((await isDirectory(target)) === true) throw new LocalError(`${description}: ${target} is a directory`);
  const temp = `${target}.tmp-${randomBytes(6).toString('hex')}`;
  // flush: fsync before close, so the rename at commit never publishes a file whose data is not on disk.
  const out = createWriteStream(temp, { flags: 'wx', flush: true, highWaterMark: 1024 * 1024 });
  try {
    await once(out, 'open');
  } catch (err) {
    throw new LocalError(`${description}: cannot create ${temp}: ${(err as Error).message}`, { cause: err });
  }
  return new OciArchiveDestination(description, out, { stream: out, temp, final: target }, tag);
}

interface TargetFile {
  stream: WriteStream;
  temp: string;
  final: string;
}

export class OciArchiveDestination implements ImageDestination {
  readonly traits: DestinationTraits = {
    holds: 'graph',
    sequential: true,
    learnsDigests: false,
    wantsCompressedLayers: false,
    place: undefined,
  };
  private readonly pack = tar.pack();
  private readonly written: Promise<void>;
  private readonly names = new Set<string>();
  private readonly mtime = new Date();
  private queue: Promise<unknown> = Promise.resolve();
  private failure: unknown;
  private state: 'open' | 'committed' | 'aborted' = 'open';
  private named: { descriptor: Descriptor; tag: string } | undefined;
  private last: Descriptor | undefined;

  constructor(
    readonly description: string,
    out: Writable,
    private readonly file: TargetFile | undefined,
    readonly tag: string | undefined,
  ) {
    this.written = pipeline(this.pack, out);
    this.written.catch((err: unknown) => {
      this.failure ??= err;
    });
    void this.addBuffer(LAYOUT_FILE, LAYOUT_FILE_BYTES).catch(() => {});
    this.addFolders('sha256');
  }

  async hasBlob(descriptor: Descriptor): Promise<boolean> {
    return this.names.has(blobPath(descriptor.digest));
  }

  hasManifest(descriptor: Descriptor): Promise<boolean> {
    return this.hasBlob(descriptor);
  }

  putBlob(descriptor: Descriptor, open: () => Promise<Readable>): Promise<void> {
    return this.serial(async () => {
      const name = blobPath(descriptor.digest);
      if (this.names.has(name)) return;
      const data = await open();
      this.addFolders(parseDigest(descriptor.digest).algorithm);
      const what = `blob ${descriptor.digest} for ${this.description}`;
      // Blob streams from a source verify themselves (store.ts): count and check the size only.
      const verifier = new VerifyingStream({
        digest: descriptor.digest,
        size: descriptor.size,
        what,
        hash: false,
      });
      const entry = this.pack.entry({ name, size: descriptor.size, mode: 0o644, mtime: this.mtime });
      try {
        await pipeline(data, verifier, entry);
      } catch (err) {
        this.fail(err);
        throw err;
      }
      this.names.add(name);
    });
  }

  /** A tar entry's size goes in its header, before its bytes: a digest learnt while streaming is too late. */
  async putStreamedBlob(): Promise<Descriptor> {
    throw new FerryError('E_INTERNAL', `${this.description} needs each blob's size up front`);
  }

  async mountBlob(): Promise<boolean> {
    return false;
  }

  async tagged(): Promise<undefined> {
    return undefined;
  }

  putManifest(manifest: StoredManifest, options: PutManifestOptions = {}): Promise<void> {
    const { descriptor, bytes } = manifest;
    return this.serial(async () => {
      verifyBytes(bytes, descriptor, `manifest ${descriptor.digest} for ${this.description}`);
      const name = blobPath(descriptor.digest);
      if (!this.names.has(name)) {
        this.addFolders(parseDigest(descriptor.digest).algorithm);
        await this.addBuffer(name, bytes);
        this.names.add(name);
      }
      if (options.tag !== undefined) this.named = { descriptor, tag: options.tag };
      this.last = descriptor;
    });
  }

  commit(): Promise<void> {
    return this.serial(async () => {
      const root = this.named?.descriptor ?? this.last;
      await this.addBuffer(INDEX_FILE, mergeIndexJson(undefined, root, this.named?.tag ?? this.tag));
      this.pack.finalize();
      await this.written;
      if (this.file !== undefined) {
        const { stream, temp, final } = this.file;
        try {
          if (!stream.closed) await once(stream, 'close');
          await rename(temp, final);
        } catch (err) {
          throw new LocalError(`${this.description}: cannot write ${final}: ${(err as Error).message}`, {
            cause: err,
          });
        }
      }
      this.state = 'committed';
    });
  }

  async abort(): Promise<void> {
    if (this.state === 'committed') return;
    this.state = 'aborted';
    this.pack.destroy();
    await this.written.catch(() => {});
    if (this.file === undefined) return;
    const { stream, temp } = this.file;
    if (!stream.closed) {
      stream.destroy();
      await once(stream, 'close').catch(() => {});
    }
    await rm(temp, { force: true });
  }

  /** One operation at a time, in call order: the tar is written front to back. */
  private serial<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(() => {
      if (this.state !== 'open')
        throw new LocalError(`${this.description}: the copy was already ${this.state}`);
      if (this.failure !== undefined) throw this.failure;
      return work();
    });
    this.queue = run.catch(() => {});
    return run;
  }

  /** A write failed: the tar is unusable, so everything after fails too. */
  private fail(err: unknown): void {
    this.failure ??= err;
    this.pack.destroy(err instanceof Error ? err : new FerryError('E_INTERNAL', String(err)));
  }

  private addBuffer(name: string, bytes: Buffer): Promise<void> {
    return new Promise((resolve, reject) => {
      const entry = this.pack.entry({ name, mode: 0o644, mtime: this.mtime }, bytes, (err) =>
        err ? reject(err) : resolve(),
      );
      entry.on('error', () => {}); // reported through the callback (or the pack's own error)
    });
  }

  /** `blobs/` and `blobs/<alg>/` directory entries, once each. */
  private addFolders(algorithm: string): void {
    for (const name of ['blobs/', `blobs/${algorithm}/`]) {
      if (this.names.has(name)) continue;
      this.names.add(name);
      const entry = this.pack.entry({ name, type: 'directory', mode: 0o755, mtime: this.mtime });
      entry.on('error', () => {});
    }
  }
}
