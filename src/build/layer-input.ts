/**
 * What `append` turns into a layer: a tar file (plain, gzip'd or zstd'd), kept entry for entry,
 * or a directory, turned into a tar the same way on every machine:
 *
 * - entries in sorted order (by name, children right after their directory);
 * - owners 0:0 with no names; modes 0755 for directories and for files any of whose execute bits
 *   is set, 0644 for other files (so neither the umask nor how a checkout was made shows through;
 *   ko and rules_pkg do the same); setuid, setgid and sticky bits are not kept;
 * - every mtime the build time (build-time.ts);
 * - a file with several links in the directory is stored once, its other names as hard links to
 *   the first (in sorted order);
 * - sockets, FIFOs and devices are refused: a layer of an image built from a directory has no
 *   business holding them.
 *
 * A tar file is read twice: once to check it (no absolute names, no `..`, no hard link pointing
 * out of the layer: a runtime would extract those outside the root), then to build the layer,
 * which is the file's own tar bytes, decompressed if they were compressed.
 */
import { createReadStream, type Stats } from 'node:fs';
import { lstat, readdir, readlink, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline, type Readable } from 'node:stream';
import tar from 'tar-stream';
import { InvalidContentError, LocalError } from '../errors.js';
import { Decompressor } from '../util/decompress.js';

export type LayerInput = { kind: 'directory'; path: string } | { kind: 'tar'; path: string };

/** What PATH is: LocalError (exit 8) when it does not exist or is neither a file nor a directory. */
export async function layerInput(path: string): Promise<LayerInput> {
  let stats: Stats;
  try {
    stats = await lstat(path);
    if (stats.isSymbolicLink()) stats = await stat(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new LocalError(
      code === 'ENOENT' ? `${path} does not exist` : `cannot read ${path}: ${code ?? (err as Error).message}`,
    );
  }
  if (stats.isDirectory()) return { kind: 'directory', path };
  if (stats.isFile()) return { kind: 'tar', path };
  throw new LocalError(`${path} is neither a tar file nor a directory`);
}

/** The layer's tar, as a stream. A tar file is checked first (checkTar). */
export async function layerTar(input: LayerInput, mtimeSeconds: number): Promise<Readable> {
  if (input.kind === 'directory') return directoryTar(input.path, mtimeSeconds);
  await checkTar(input.path);
  return tarFileStream(input.path);
}

function tarFileStream(path: string): Readable {
  const decompress = new Decompressor(path);
  pipeline(createReadStream(path), decompress, () => {});
  return decompress;
}

/** Why a name inside a layer would land outside the root it is extracted into, if it would. */
export function unsafeName(name: string): string | undefined {
  if (name.startsWith('/')) return 'an absolute name';
  if (name.split('/').includes('..')) return "a '..' component";
  return undefined;
}

/** Reads a tar file through, refusing names that escape the root (InvalidContentError, exit 7). */
export async function checkTar(path: string): Promise<void> {
  const extract = tar.extract();
  let entries = 0;
  extract.on('entry', (header, stream, next) => {
    entries++;
    const problem =
      unsafeName(header.name) ??
      (header.type === 'link' && header.linkname ? unsafeName(header.linkname) : undefined);
    // The entry's stream is destroyed with the error when the extract fails: it must not go unheard.
    stream.on('error', () => {});
    if (problem !== undefined) {
      const shown = JSON.stringify(header.name.slice(0, 200));
      next(new InvalidContentError(`${path}: entry ${shown} has ${problem}, which would escape the layer`));
      return;
    }
    stream.on('end', () => next());
    stream.resume();
  });
  await new Promise<void>((resolve, reject) => {
    pipeline(tarFileStream(path), extract, (err) => {
      if (!err) resolve();
      else if (err instanceof InvalidContentError || err instanceof LocalError) reject(err);
      else reject(new InvalidContentError(`${path} is not a tar file: ${err.message}`));
    });
  });
  if (entries === 0) throw new InvalidContentError(`${path} is not a tar file: it holds no entries`);
}

/** Sorted, as the file comment says: plain code-unit order, the same on every machine and locale. */
const byName = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

interface DirEntry {
  name: string;
  path: string;
  stats: Stats;
}

/** Every entry under `root` in the layer's order: depth first, each directory's names sorted. */
async function* walk(root: string, prefix = ''): AsyncGenerator<DirEntry> {
  let names: string[];
  try {
    names = await readdir(join(root, prefix));
  } catch (err) {
    throw new LocalError(`cannot read ${join(root, prefix)}: ${(err as NodeJS.ErrnoException).code}`);
  }
  for (const name of names.sort(byName)) {
    const rel = prefix === '' ? name : `${prefix}/${name}`;
    const path = join(root, rel);
    const stats = await lstat(path);
    yield { name: rel, path, stats };
    if (stats.isDirectory()) yield* walk(root, rel);
  }
}

function directoryTar(root: string, mtimeSeconds: number): Readable {
  const pack = tar.pack();
  const mtime = new Date(mtimeSeconds * 1000);
  const common = { mtime, uid: 0, gid: 0, uname: '', gname: '' };
  const add = (header: tar.Headers, body?: Readable): Promise<void> =>
    new Promise((resolve, reject) => {
      if (body === undefined) {
        pack.entry(header, (err) => (err ? reject(err) : resolve()));
        return;
      }
      const entry = pack.entry(header, (err) => (err ? reject(err) : resolve()));
      pipeline(body, entry, (err) => {
        if (err) reject(new LocalError(`cannot read ${header.name}: ${err.message}`));
      });
    });
  (async () => {
    const linked = new Map<string, string>();
    for await (const { name, path, stats } of walk(root)) {
      if (stats.isDirectory()) {
        await add({ ...common, name: `${name}/`, type: 'directory', mode: 0o755 });
      } else if (stats.isSymbolicLink()) {
        await add({ ...common, name, type: 'symlink', linkname: await readlink(path), mode: 0o777 });
      } else if (stats.isFile()) {
        const mode = stats.mode & 0o111 ? 0o755 : 0o644;
        const key = `${stats.dev}:${stats.ino}`;
        const first = stats.nlink > 1 ? linked.get(key) : undefined;
        if (first !== undefined) {
          await add({ ...common, name, type: 'link', linkname: first, mode });
          continue;
        }
        if (stats.nlink > 1) linked.set(key, name);
        await add({ ...common, name, type: 'file', mode, size: stats.size }, createReadStream(path));
      } else {
        throw new LocalError(`${path} is not a file, directory or symbolic link: it cannot go in a layer`);
      }
    }
    pack.finalize();
  })().catch((err: unknown) => {
    pack.destroy(err instanceof Error ? err : new Error(String(err)));
  });
  return pack;
}
