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
import { InvalidContentError, LocalError, UsageError } from '../errors.js';
import { type Location, parseLocation } from './location.js';
import { TarIndex } from './tar-index.js';

const EXPLICIT = /^(oci|oci-archive|docker-archive|docker):/;

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/** Whether `path` exists as a name at all (a symlink counts, even a dangling one). */
async function present(path: string): Promise<boolean> {
  return lstat(path).then(
    () => true,
    () => false,
  );
}

async function isGzip(path: string): Promise<boolean> {
  const handle = await open(path, 'r');
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
