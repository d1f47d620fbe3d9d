/**
 * An OCI image layout directory, `oci:DIR[:TAG]` (opencontainers/image-spec image-layout.md).
 *
 *   openOciLayoutSource(dir, tag?)       → ImageSource; root = the index.json entry tagged TAG
 *                                          (ref.name annotation), or the only entry
 *   openOciLayoutDestination(dir, tag?)  → ImageDestination (parallel; learns digests while streaming)
 *
 * Writing: each blob streams into a hidden temp file in `blobs/<alg>/` through a VerifyingStream
 * and is published under its digest only once it matched (util/atomic-file.ts: fsynced, then
 * renamed), so a crash leaves nothing but hidden `.*.tmp-*` files. `commit()` syncs the blob
 * folders, then writes `oci-layout` (when missing) and `index.json` the same atomic way, merging
 * with an existing index.json: the entry for the same tag
 * is replaced, other tags stay (several tags share one layout, as with skopeo). `abort()`
 * removes the temp files, the blobs this copy added, and the directories this copy made as far
 * as they are empty (another copy may have committed into a layout this one created).
 *
 * One writer per layout at a time. index.json is read again and merged at commit, so copies into
 * one layout one after the other (or overlapping, but committing at different moments) keep each
 * other's tags; two processes whose commits overlap (read, merge, rename) can lose one's entry.
 * ferry takes no lock for it: a lock file left behind by a killed run would block every later copy.
 *
 * index.json gets each manifest put with `options.tag` under that tag; when the copy gives none,
 * the last manifest put (the copy writes children before parents) under the TAG the destination
 * was opened with, untagged without one; and each manifest with a `subject` as an untagged entry
 * (referrers, as oras keeps them: oci-common.ts IndexJsonEntries).
 *
 * Hostile directories. Reading, every file must really be inside the layout (symlinks are
 * resolved, and one leading out is refused even when its bytes would match: the layout is what
 * the user named, not the rest of the disk) and a regular file (a FIFO planted as a blob must not
 * hang the read). Writing into an existing layout, `oci-layout`, `index.json`, `blobs/` and
 * `blobs/<alg>/` that are symlinks are refused before anything is written (following one would
 * write elsewhere; replacing it would restructure a layout others may share); a blob file that is
 * a symlink is never written through: it counts as absent and the verified blob is renamed over it.
 */
import { constants, type Stats } from 'node:fs';
import { type FileHandle, lstat, mkdir, open, readdir, realpath, rm, rmdir, stat } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parseDigest, VerifyingStream, verifyBytes } from '../digest/index.js';
import { FerryError, InvalidContentError, LocalError, NotFoundError } from '../errors.js';
import type { Descriptor } from '../image/descriptor.js';
import { PendingFile, syncDirectory, writeFileAtomic } from '../util/atomic-file.js';
import { BLOB_FILE_CHUNK } from '../util/young-gc.js';
import { describeLocation } from './location.js';
import {
  blobPath,
  checkLayoutFile,
  INDEX_FILE,
  type IndexJson,
  IndexJsonEntries,
  LAYOUT_FILE,
  LAYOUT_FILE_BYTES,
  type LayoutFiles,
  MAX_INDEX_JSON_BYTES,
  mergeIndexJson,
  OciSource,
  parseIndexJson,
  REF_NAME_ANNOTATION,
} from './oci-common.js';
import type {
  DestinationTraits,
  ImageDestination,
  ImageSource,
  PutManifestOptions,
  StoredManifest,
  TagState,
} from './store.js';

const errno = (err: unknown): string | undefined => (err as NodeJS.ErrnoException | undefined)?.code;

/** fs failures become LocalError; ferry's own errors (a digest mismatch from the stream) pass. */
function localError(err: unknown, action: string): unknown {
  if (err instanceof FerryError || typeof (err as NodeJS.ErrnoException | undefined)?.syscall !== 'string')
    return err;
  return new LocalError(`cannot ${action}: ${(err as Error).message}`, { cause: err });
}

function kindOf(info: Stats): string {
  if (info.isDirectory()) return 'a directory';
  if (info.isFIFO()) return 'a FIFO';
  if (info.isSocket()) return 'a socket';
  if (info.isCharacterDevice() || info.isBlockDevice()) return 'a device';
  return 'not a regular file';
}

/** Opened read-only, without following a final symlink, and without blocking on a FIFO. */
const READ_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;

/** LayoutFiles over a directory; every file is opened through `openInside` (see the file comment). */
class DirectoryFiles implements LayoutFiles {
  private root: Promise<string> | undefined;

  constructor(
    private readonly dir: string,
    private readonly description: string,
  ) {}

  /**
   * Opens `name` when its real path (symlinks resolved) is inside the layout's real root and it
   * is a regular file; undefined when absent. The real path is what gets opened, with O_NOFOLLOW,
   * so the checked path cannot turn into a link between the check and the open. (A layout being
   * rearranged while ferry reads it is beyond this; its bytes are verified against digests anyway.)
   */
  private async openInside(name: string): Promise<FileHandle | undefined> {
    const path = join(this.dir, name);
    let real: string;
    let handle: FileHandle;
    try {
      real = await realpath(path);
      this.root ??= realpath(this.dir);
      const root = await this.root;
      if (real !== root && !real.startsWith(root.endsWith(sep) ? root : `${root}${sep}`))
        throw new InvalidContentError(`${path} leads outside the layout through a symlink (to ${real})`);
      handle = await open(real, READ_FLAGS);
    } catch (err) {
      // ENOTDIR: a path component is a file (a `blobs` file, say): the name is not in the layout.
      if (errno(err) === 'ENOENT' || errno(err) === 'ENOTDIR') return undefined;
      throw localError(err, `read ${path}`);
    }
    try {
      const info = await handle.stat();
      if (!info.isFile()) throw new InvalidContentError(`${path} is ${kindOf(info)}, not a regular file`);
      return handle;
    } catch (err) {
      await handle.close();
      throw localError(err, `read ${path}`);
    }
  }

  async read(name: string, maxBytes: number): Promise<Buffer | undefined> {
    const path = join(this.dir, name);
    const handle = await this.openInside(name);
    if (handle === undefined) return undefined;
    try {
      const { size } = await handle.stat();
      if (size > maxBytes)
        throw new InvalidContentError(`${path} is ${size} bytes, more than the ${maxBytes} allowed`);
      return await handle.readFile();
    } catch (err) {
      throw localError(err, `read ${path}`);
    } finally {
      await handle.close();
    }
  }

  async stream(name: string): Promise<Readable> {
    const handle = await this.openInside(name);
    if (handle === undefined) throw new NotFoundError(`${name} not found in ${this.description}`);
    return handle.createReadStream({ highWaterMark: BLOB_FILE_CHUNK });
  }

  async close(): Promise<void> {}
}

export async function openOciLayoutSource(dir: string, tag?: string): Promise<ImageSource> {
  const description = describeLocation({ kind: 'oci', path: dir, tag });
  try {
    if (!(await stat(dir)).isDirectory()) throw new LocalError(`${description}: ${dir} is not a directory`);
  } catch (err) {
    if (errno(err) === 'ENOENT') throw new LocalError(`${description}: no such directory ${dir}`);
    throw localError(err, `read ${dir}`);
  }
  const source = new OciSource(description, new DirectoryFiles(dir, description), tag);
  await source.loadIndex();
  return source;
}

export async function openOciLayoutDestination(dir: string, tag?: string): Promise<ImageDestination> {
  const destination = new OciLayoutDestination(dir, tag);
  await destination.prepare();
  return destination;
}

export class OciLayoutDestination implements ImageDestination {
  readonly description: string;
  readonly traits: DestinationTraits = {
    holds: 'graph',
    sequential: false,
    wantsCompressedLayers: false,
    place: undefined,
    referrers: 'index-json',
  };
  private ready: Promise<void> | undefined;
  /** The top directory `mkdir -p` made for this copy; abort() removes it when empty. */
  private created: string | undefined;
  /** Whether this copy's commit wrote `oci-layout` (before a failure at index.json, say). */
  private wroteLayoutFile = false;
  /** Blobs being written under temp names; abort() discards them. */
  private readonly pending = new Set<PendingFile>();
  /** blobs/<alg> folders written to; synced once at commit. */
  private readonly folders = new Set<string>();
  /** Blobs this copy added (not there before); abort() removes them. */
  private readonly added = new Set<string>();
  private readonly entries: IndexJsonEntries;
  private state: 'open' | 'committed' | 'aborted' = 'open';

  constructor(
    readonly dir: string,
    readonly tag: string | undefined,
  ) {
    this.description = describeLocation({ kind: 'oci', path: dir, tag });
    this.entries = new IndexJsonEntries(tag);
  }

  /** Checks (or creates) the directory once; refuses a non-empty directory that is not a layout. */
  prepare(): Promise<void> {
    this.ready ??= this.init();
    return this.ready;
  }

  private async init(): Promise<void> {
    let entries: string[] | undefined;
    try {
      entries = await readdir(this.dir);
    } catch (err) {
      if (errno(err) === 'ENOTDIR')
        throw new LocalError(`${this.description}: ${this.dir} is not a directory`);
      if (errno(err) !== 'ENOENT') throw localError(err, `read ${this.dir}`);
    }
    if (entries !== undefined && entries.length > 0) {
      if (!entries.includes(LAYOUT_FILE)) {
        throw new LocalError(
          `${this.description}: ${this.dir} is not empty and not an OCI layout (no ${LAYOUT_FILE}); refusing to write into it`,
        );
      }
      await this.checkStructure();
      const layout = await new DirectoryFiles(this.dir, this.description).read(LAYOUT_FILE, 64 * 1024);
      checkLayoutFile(layout ?? Buffer.alloc(0), `${LAYOUT_FILE} of ${this.description}`);
      await this.readIndex(); // a broken index.json fails now, not after the copy
    }
    try {
      this.created = await mkdir(this.dir, { recursive: true });
      await mkdir(join(this.dir, 'blobs'), { recursive: true });
    } catch (err) {
      throw localError(err, `create ${this.dir}`);
    }
  }

  /**
   * An existing layout's `oci-layout`, `index.json`, `blobs/` and `blobs/<alg>/` must be what they
   * claim, not symlinks: refused (LocalError) before anything is written. See the file comment.
   */
  private async checkStructure(): Promise<void> {
    const expect = async (name: string, kind: 'file' | 'directory'): Promise<boolean> => {
      const path = join(this.dir, name);
      let info: Stats;
      try {
        info = await lstat(path);
      } catch (err) {
        if (errno(err) === 'ENOENT') return false;
        throw localError(err, `read ${path}`);
      }
      if (info.isSymbolicLink())
        throw new LocalError(`${this.description}: ${path} is a symlink; refusing to write through it`);
      if (kind === 'directory' ? !info.isDirectory() : !info.isFile())
        throw new LocalError(
          `${this.description}: ${path} is not a ${kind === 'file' ? 'regular file' : kind}`,
        );
      return true;
    };
    await expect(LAYOUT_FILE, 'file');
    await expect(INDEX_FILE, 'file');
    if (await expect('blobs', 'directory')) {
      for (const algorithm of ['sha256', 'sha512']) await expect(join('blobs', algorithm), 'directory');
    }
  }

  private async readIndex(): Promise<IndexJson | undefined> {
    const bytes = await new DirectoryFiles(this.dir, this.description).read(INDEX_FILE, MAX_INDEX_JSON_BYTES);
    return bytes === undefined ? undefined : parseIndexJson(bytes, `${INDEX_FILE} of ${this.description}`);
  }

  private async ensureOpen(): Promise<void> {
    await this.prepare();
    if (this.state !== 'open')
      throw new LocalError(`${this.description}: the copy was already ${this.state}`);
  }

  async hasBlob(descriptor: Descriptor): Promise<boolean> {
    await this.prepare();
    try {
      // lstat: a blob file that is a symlink is not had; the verified blob is renamed over the link.
      const info = await lstat(join(this.dir, blobPath(descriptor.digest)));
      return info.isFile() && info.size === descriptor.size;
    } catch (err) {
      if (errno(err) === 'ENOENT') return false;
      throw localError(err, `read ${this.dir}`);
    }
  }

  hasManifest(descriptor: Descriptor): Promise<boolean> {
    return this.hasBlob(descriptor);
  }

  async putBlob(descriptor: Descriptor, open: () => Promise<Readable>): Promise<void> {
    await this.ensureOpen();
    await this.store(await open(), descriptor, `blob ${descriptor.digest} for ${this.description}`);
  }

  async mountBlob(): Promise<boolean> {
    return false;
  }

  /**
   * From index.json as it is now, not as init read it: another copy may have tagged since. Not
   * vouched complete (TagState): blobs may have been removed from the directory since.
   */
  async tagged(tag: string): Promise<TagState> {
    await this.prepare();
    const entry = (await this.readIndex())?.manifests.find(
      (d) => d.annotations?.[REF_NAME_ANNOTATION] === tag,
    );
    if (entry === undefined) return { kind: 'absent' };
    const descriptor: Descriptor = { mediaType: entry.mediaType, digest: entry.digest, size: entry.size };
    if (entry.artifactType !== undefined) descriptor.artifactType = entry.artifactType;
    return { kind: 'names', descriptor, complete: false };
  }

  async putManifest(manifest: StoredManifest, options: PutManifestOptions = {}): Promise<void> {
    const { descriptor, bytes } = manifest;
    verifyBytes(bytes, descriptor, `manifest ${descriptor.digest} for ${this.description}`);
    await this.store(
      Readable.from([bytes]),
      descriptor,
      `manifest ${descriptor.digest} for ${this.description}`,
    );
    this.entries.put(manifest, options.tag);
  }

  /** Untagged index.json entries, written at commit. */
  async putReferrers(_subject: Descriptor, referrers: readonly Descriptor[]): Promise<void> {
    await this.ensureOpen();
    this.entries.addReferrers(referrers);
  }

  /**
   * Streams into a temp file in the blob's folder, verifying, and publishes it under its digest
   * once it matched (util/atomic-file.ts: data fsynced; the folder is synced once, at commit).
   */
  private async store(data: Readable, expected: Descriptor, what: string): Promise<void> {
    await this.ensureOpen();
    const { algorithm, encoded } = parseDigest(expected.digest);
    const folder = join(this.dir, 'blobs', algorithm);
    const final = join(folder, encoded);
    let file: PendingFile | undefined;
    try {
      // Once per folder, not per blob: a recursive mkdir walks the path each time.
      if (!this.folders.has(folder)) {
        await mkdir(folder, { recursive: true });
        this.folders.add(folder);
      }
      file = await PendingFile.create(final);
      this.pending.add(file);
      // The data is a source's blob stream, which verifies itself (store.ts): count and check the size.
      const counted = new VerifyingStream({
        digest: expected.digest,
        size: expected.size,
        what,
        hash: false,
      });
      await pipeline(data, counted, file.stream());
      const existed = await lstat(final).then(
        () => true,
        () => false,
      );
      if (this.state !== 'open')
        throw new LocalError(`${this.description}: the copy was ${this.state} while ${what} was written`);
      await file.publish({ syncDirectory: false });
      this.pending.delete(file);
      if (!existed) this.added.add(final);
    } catch (err) {
      data.destroy();
      await file?.discard();
      if (file) this.pending.delete(file);
      throw localError(err, `write ${what}`);
    }
  }

  async commit(): Promise<void> {
    await this.ensureOpen();
    try {
      await mkdir(join(this.dir, 'blobs'), { recursive: true });
      // The blobs' names reach the disk before index.json can name them.
      await Promise.all([...this.folders].map(syncDirectory));
      const layoutExists = await lstat(join(this.dir, LAYOUT_FILE)).then(
        () => true,
        () => false,
      );
      if (!layoutExists) {
        await writeFileAtomic(join(this.dir, LAYOUT_FILE), LAYOUT_FILE_BYTES);
        this.wroteLayoutFile = true;
      }
      // Re-read index.json now: another copy may have added a tag since this one started.
      const existing = await this.readIndex();
      const entries = this.entries.entries();
      // Nothing to add (a tag --no-clobber left alone): the file is left as it is, byte for byte.
      if (entries.length > 0 || existing === undefined)
        await writeFileAtomic(join(this.dir, INDEX_FILE), mergeIndexJson(existing, entries));
    } catch (err) {
      throw localError(err, `write ${INDEX_FILE} of ${this.description}`);
    }
    this.state = 'committed';
  }

  async abort(): Promise<void> {
    if (this.state === 'committed') return;
    this.state = 'aborted';
    await Promise.all([...this.pending].map((file) => file.discard()));
    await Promise.all([...this.added].map((file) => rm(file, { force: true })));
    this.pending.clear();
    this.added.clear();
    if (this.created !== undefined) await this.removeCreated(this.created);
  }

  /**
   * Removes the directories this copy made, deepest first, each only when empty (rmdir, never
   * rm -r): another copy into the same new layout may have committed its tag and blobs there
   * since. The `oci-layout` a failed commit of this copy wrote goes first, unless an index.json
   * (another copy's: this one's commit failed) now relies on it.
   */
  private async removeCreated(top: string): Promise<void> {
    const indexExists = await lstat(join(this.dir, INDEX_FILE)).then(
      () => true,
      () => false,
    );
    if (this.wroteLayoutFile && !indexExists) await rm(join(this.dir, LAYOUT_FILE), { force: true });
    const gone = async (dir: string): Promise<boolean> =>
      rmdir(dir).then(
        () => true,
        // ENOTEMPTY: someone else's files are in it, and it stays.
        (err: unknown) => errno(err) === 'ENOENT',
      );
    for (const folder of this.folders) await gone(folder);
    await gone(join(this.dir, 'blobs'));
    // The layout, then its parents up to the top one mkdir made; a parent of what stays, stays.
    const last = resolve(top);
    for (let dir = resolve(this.dir); await gone(dir); dir = dirname(dir)) {
      if (dir === last || dirname(dir) === dir) return;
    }
  }
}
