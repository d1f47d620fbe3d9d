/**
 * What `push` was given, when the user names a path rather than `oci:`/`oci-archive:`/
 * `docker-archive:`: a directory with an `oci-layout` file is an OCI layout (so is one with
 * `index.json` or `blobs/` but no `oci-layout`: a broken layout, which the reader refuses naming the
 * missing file, exit 7, rather than a usage error); a tar with a
 * `manifest.json` is a docker-archive (classic, or Docker 25+ which also carries an OCI layout:
 * read as a docker-archive so its uncompressed layers are gzip'd on the way, as `docker push`
 * would); a tar with `oci-layout` and `index.json` only is an OCI tarball. A `:TAG` suffix picks
 * a tag when the path with it does not exist.
 */
import { lstat, open, stat } from 'node:fs/promises';
import { FerryError, InvalidContentError, LocalError, localErrorFrom, UsageError } from '../errors.js';
import {
  DOCKER_HUB,
  formatReference,
  parseReference,
  parseRepository,
  type Reference,
} from '../ref/index.js';
import { type Location, PATH_LIKE, parseLocation } from './location.js';
import { TarIndex } from './tar-index.js';

const EXPLICIT = /^(oci|oci-archive|docker-archive|docker):/;

/**
 * Whether `path` exists. Only "no such file" (ENOENT, or ENOTDIR: a part of the path is a file)
 * means absent; a path that cannot be looked at (a directory on the way without search
 * permission) is a LocalError saying so, not "no such file or directory".
 */
async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return false;
    throw localErrorFrom(err) ?? err;
  }
}

/** Whether `path` exists as a name at all (a symlink counts, even a dangling one). */
async function present(path: string): Promise<boolean> {
  return lstat(path).then(
    () => true,
    () => false,
  );
}

async function isGzip(path: string): Promise<boolean> {
  const handle = await open(path, 'r').catch((err: unknown) => {
    throw localErrorFrom(err) ?? err;
  });
  try {
    const { buffer, bytesRead } = await handle.read(Buffer.alloc(2), 0, 2, 0);
    return bytesRead === 2 && buffer[0] === 0x1f && buffer[1] === 0x8b;
  } finally {
    await handle.close();
  }
}

export async function detectLocation(input: string): Promise<Location> {
  if (EXPLICIT.test(input)) return parseLocation(input);
  if (input === '-')
    throw new UsageError(
      'push reads a file or directory, not standard input: save the tarball to a file first',
    );
  let path = input;
  let tag: string | undefined;
  if (!(await exists(path))) {
    const colon = input.lastIndexOf(':');
    if (colon > 0 && (await exists(input.slice(0, colon)))) {
      path = input.slice(0, colon);
      tag = input.slice(colon + 1) || undefined;
    } else {
      throw new LocalError(`${input}: no such file or directory`);
    }
  }
  const info = await stat(path);
  if (info.isDirectory()) {
    for (const part of ['oci-layout', 'index.json', 'blobs'])
      if (await present(`${path}/${part}`)) return { kind: 'oci', path, tag };
    throw new UsageError(`${path} is a directory without an oci-layout file: not an OCI image layout`);
  }
  // A FIFO or device (`<(cat x.tar)`): a tar is read by random access, and opening a FIFO blocks.
  if (!info.isFile()) throw new UsageError(`${path} is not a regular file: save the tarball to a file first`);
  if (await isGzip(path)) {
    throw new UsageError(
      `${path} is gzip-compressed: decompress it first (gunzip), ferry reads plain tarballs`,
    );
  }
  const index = await TarIndex.scan(path);
  if (index.has('manifest.json')) return { kind: 'docker-archive', path, ref: tag };
  if (index.has('oci-layout') && index.has('index.json')) return { kind: 'oci-archive', path, tag };
  throw new InvalidContentError(
    `${path} is neither a docker-archive (no manifest.json) nor an OCI tarball (no oci-layout and index.json)`,
  );
}

/** A name that reads as a file (`image.tar`, `oci.tgz`) more than as a Docker Hub repository. */
const FILE_LIKE = /\.(?:tar|tgz|gz|zip|json)$/;

/** A read command's IMAGE argument, and how it was understood. */
export interface ReadArgument {
  location: Location;
  /**
   * Set when the word could have been meant as a file that is not here and was read as a Docker
   * Hub image instead: said with a failure, so `ferry manifest image.tar` in the wrong directory
   * does not end in a puzzling "not found" from Docker Hub.
   */
  note?: string | undefined;
}

/** Whether `path` names an image on disk: an OCI layout directory (with any of its marks) or a file. */
async function isImagePath(path: string): Promise<boolean> {
  if (!(await exists(path))) return false;
  const info = await stat(path);
  if (!info.isDirectory()) return true;
  for (const part of ['oci-layout', 'index.json', 'blobs']) if (await present(`${path}/${part}`)) return true;
  return false;
}

/**
 * The IMAGE of `manifest`, `config` and `digest` (docs/locations.md): the same local locations as
 * `copy` (`oci:DIR[:TAG]`, `oci-archive:FILE[:TAG]`, `docker-archive:FILE[:REF]`), a path that
 * exists (a layout directory or an archive, with an optional `:TAG`, as `push` reads it),
 * `docker://REF`, or a registry reference. A word that is both an existing directory and a valid
 * reference (a folder called `alpine`) is read as the reference unless the directory is an OCI
 * layout, since an ordinary directory holds no image.
 */
export function readLocation(input: string): Promise<ReadArgument> {
  return readArgument(input, parseReference, () => parseLocation(input));
}

/**
 * The REPOSITORY of `ls`: as readLocation, but a registry name takes no tag or digest
 * (parseRepository), and a layout or an archive takes no `:TAG` (ls lists them all).
 */
export function readRepositoryLocation(input: string): Promise<ReadArgument> {
  return readArgument(input, parseRepository, () =>
    input.startsWith('docker:')
      ? { kind: 'registry', ref: parseRepository(input.slice('docker:'.length).replace(/^\/\//, '')) }
      : parseLocation(input),
  );
}

async function readArgument(
  input: string,
  parseName: (input: string) => Reference,
  explicit: () => Location,
): Promise<ReadArgument> {
  if (EXPLICIT.test(input)) return { location: explicit() };
  const colon = input.lastIndexOf(':');
  if ((await isImagePath(input)) || (colon > 0 && (await isImagePath(input.slice(0, colon)))))
    return { location: await detectLocation(input) };
  // A path (location.ts PATH_LIKE) that does not exist: the honest answer is "no such file", not a
  // reference error or a Docker Hub lookup.
  if (PATH_LIKE.test(input)) {
    // Exists but holds no image (a plain directory): detectLocation says what it is instead.
    if ((await exists(input)) || (colon > 0 && (await exists(input.slice(0, colon)))))
      return { location: await detectLocation(input) };
    const start = /^(?:\.\.?\/?|\/|~\/?)/.exec(input)?.[0] ?? input;
    throw new LocalError(
      `${input}: no such file or directory (read as a path, since it starts with '${start}')`,
    );
  }
  const ref = parseName(input);
  const name = input.split(/[:@]/)[0] ?? input;
  // The distribution rule: a first element is a host only with a '.', a ':' or as 'localhost'.
  const first = input.includes('/') ? (input.split('/')[0] ?? '') : '';
  const defaulted = ref.registry === DOCKER_HUB && !/[.:]|^localhost$/.test(first);
  const note =
    defaulted && FILE_LIKE.test(name)
      ? `'${input}' was read as ${formatReference(ref)}: no file or directory of that name is here`
      : undefined;
  return { location: { kind: 'registry', ref }, note };
}

/** Runs `work`; a FerryError it throws gains `argument.note` as its hint (see ReadArgument). */
export async function explained<T>(argument: ReadArgument, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (argument.note === undefined || !(err instanceof FerryError)) throw err;
    const hint = err.hint === undefined ? argument.note : `${err.hint}; ${argument.note}`;
    throw new FerryError(err.code, err.message, { hint, cause: err });
  }
}
