/**
 * Writes a set of files into one directory, all or nothing, and nowhere else: what `ferry
 * artifact pull` needs when the names come from a registry (image/artifact.ts has already refused
 * absolute names and `..`).
 *
 * - Everything is checked before the first byte is fetched: a directory on the way that is a
 *   symlink (it could lead anywhere) or a file is refused; an existing file is refused unless
 *   `overwrite`; a directory where a file should go is refused.
 * - Each file streams into a temp file beside its target (util/atomic-file.ts); only once every
 *   one of them arrived whole are they renamed into place, after the directories on the way are
 *   checked again. A rename replaces a symlink at the target itself, never what it points to.
 * - On any failure the temp files and the directories this call made are removed: nothing of the
 *   set is left behind.
 */
import type { Stats } from 'node:fs';
import { lstat, mkdir, realpath, rm, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { FerryError, LocalError } from '../errors.js';
import { PendingFile, syncDirectory } from './atomic-file.js';
import { mapLimit } from './limit.js';

export interface ConfinedFile {
  /** Where it goes inside the directory: relative, '/'-separated, no '.' or '..' segments. */
  path: string;
  /** Its bytes (a stream that fails at its end when they are wrong). */
  open(): Promise<Readable>;
}

const errno = (err: unknown): string | undefined => (err as NodeJS.ErrnoException | undefined)?.code;

async function statOf(path: string): Promise<Stats | undefined> {
  try {
    return await lstat(path);
  } catch (err) {
    if (errno(err) === 'ENOENT') return undefined;
    throw new LocalError(`cannot read ${path}: ${(err as Error).message}`, { cause: err });
  }
}

/** The directories on the way to `path` (relative), from the top. */
const parentsOf = (path: string): string[] => {
  const parts = path.split('/').slice(0, -1);
  return parts.map((_, i) => parts.slice(0, i + 1).join('/'));
};

/** Checks the directories on the way to each file (see the file comment); throws LocalError. */
async function checkParents(root: string, files: readonly ConfinedFile[]): Promise<void> {
  const checked = new Set<string>();
  for (const file of files) {
    for (const dir of parentsOf(file.path)) {
      if (checked.has(dir)) continue;
      checked.add(dir);
      const info = await statOf(join(root, dir));
      if (info === undefined) continue;
      if (info.isSymbolicLink())
        throw new LocalError(`${join(root, dir)} is a symlink: refusing to write ${file.path} through it`);
      if (!info.isDirectory())
        throw new LocalError(`${join(root, dir)} is not a directory: cannot write ${file.path} under it`);
    }
  }
}

export async function writeConfined(
  dir: string,
  files: readonly ConfinedFile[],
  options: { overwrite: boolean; concurrency: number },
): Promise<string[]> {
  // Returns the paths written, in the order of `files`.
  const made: string[] = [];
  /** Each file's temp file, by the file's index. */
  const pending: (PendingFile | undefined)[] = [];
  let top: string | undefined;
  try {
    top = await mkdir(dir, { recursive: true });
    const root = await realpath(dir);
    await checkParents(root, files);
    for (const file of files) {
      const target = join(root, file.path);
      const info = await statOf(target);
      if (info?.isDirectory()) throw new LocalError(`${target} is a directory: cannot write a file there`);
      if (info && !options.overwrite)
        throw new LocalError(`${target} exists: not overwritten (--overwrite replaces it)`);
    }
    for (const parent of new Set(files.flatMap((f) => parentsOf(f.path)))) {
      const path = join(root, parent);
      if ((await statOf(path)) !== undefined) continue;
      await mkdir(path);
      made.push(path);
    }
    // Every transfer settles before a failure is thrown, so none writes after the clean-up.
    let failure: unknown;
    await mapLimit(files, options.concurrency, async (file, i) => {
      if (failure !== undefined) return;
      try {
        const temp = await PendingFile.create(join(root, file.path));
        pending[i] = temp;
        await pipeline(await file.open(), temp.stream());
      } catch (err) {
        failure ??= err;
      }
    });
    if (failure !== undefined) throw failure;
    // The directories are looked at again just before the renames: one swapped for a symlink
    // meanwhile must not take the files elsewhere.
    await checkParents(root, files);
    const written: string[] = [];
    for (const temp of pending) {
      await temp!.publish({ syncDirectory: false });
      written.push(temp!.target);
    }
    await Promise.all([...new Set(written.map((w) => join(w, '..')))].map(syncDirectory));
    return written;
  } catch (err) {
    await Promise.all(pending.map((p) => p?.discard()));
    for (const path of made.reverse()) await rmdir(path).catch(() => {});
    // The top directory and those under it were made by this call: nothing else is in them.
    if (top !== undefined) await rm(top, { recursive: true, force: true });
    if (err instanceof FerryError || typeof (err as NodeJS.ErrnoException).syscall !== 'string') throw err;
    throw new LocalError(`cannot write into ${dir}: ${(err as Error).message}`, { cause: err });
  }
}
