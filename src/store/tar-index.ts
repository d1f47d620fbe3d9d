/**
 * Random access into a tar file without extracting it: one pass over the 512-byte headers
 * records where each member's data starts and how long it is, then `open(name)` streams just
 * that byte range. File data is never read during the scan (headers are read with positioned
 * fs reads, data is seeked over), so memory stays flat whatever the archive size.
 *
 *   const index = await scanTar('image.tar');
 *   index.has('index.json');                 // names are normalised: './a//b' → 'a/b'
 *   const stream = index.open('blobs/sha256/…');
 *   const small = await index.read('manifest.json', 1 << 20);
 *
 * Format (POSIX.1-2001 pax, ustar, and the GNU extensions peers write): ustar `prefix`+`name`;
 * pax `x` records `path`, `linkpath`, `size` for the next member (`g` global records are
 * skipped); GNU `L`/`K` long names; base-256 numeric fields (sizes past 8 GiB). Symlinks and
 * hard links are recorded with their target so docker-archive's `<id>/layer.tar → ../<hex>.tar`
 * resolves.
 *
 * Hostile archives are refused with one InvalidContentError naming the file: `..` components,
 * absolute names, links pointing outside the archive, duplicate names, bad header checksums,
 * and truncation (a header or data running past the end of the file).
 */
import { createReadStream } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { InvalidContentError, LocalError, localErrorFrom, NotFoundError } from '../errors.js';
import { BLOB_FILE_CHUNK } from '../util/young-gc.js';
import { checksumOk, cString, type Pending, parseNumeric, parsePax, ustarName } from './tar-header.js';

const BLOCK = 512;
/** Caps on what is read into memory during the scan: pax records and GNU long names. */
const MAX_EXTENDED_HEADER = 1024 * 1024;
const MAX_LINK_HOPS = 16;

export interface TarMember {
  /** Normalised name: no leading './' or '/', no empty or '.' components. */
  name: string;
  type: 'file' | 'symlink' | 'hardlink';
  /** Byte offset of the data in the tar file (files only; 0 for links). */
  offset: number;
  size: number;
  /** For links: the normalised name the link points to, relative to the archive root. */
  target?: string;
}

export class TarIndex {
  private constructor(
    readonly file: string,
    private readonly members: Map<string, TarMember>,
  ) {}

  /** Scans `file` once; rejects with LocalError when it cannot be read, InvalidContentError when hostile. */
  static async scan(file: string): Promise<TarIndex> {
    let handle: FileHandle;
    try {
      handle = await open(file, 'r');
    } catch (err) {
      throw (
        localErrorFrom(err) ??
        new LocalError(`cannot open ${file}: ${(err as Error).message}`, { cause: err })
      );
    }
    try {
      return new TarIndex(file, await scanMembers(handle, file));
    } finally {
      await handle.close();
    }
  }

  /** Every file and link name, in archive order. */
  names(): string[] {
    return [...this.members.keys()];
  }

  has(name: string): boolean {
    return this.members.has(normaliseLookup(name));
  }

  /** The member itself (a link is not followed). */
  member(name: string): TarMember | undefined {
    return this.members.get(normaliseLookup(name));
  }

  /**
   * The regular file `name` names, following symlinks and hard links; undefined when absent.
   * A link that dangles or loops is InvalidContentError.
   */
  resolve(name: string): TarMember | undefined {
    let member = this.member(name);
    for (let hops = 0; member !== undefined && member.type !== 'file'; hops++) {
      const target = this.members.get(member.target ?? '');
      if (target === undefined || hops >= MAX_LINK_HOPS) {
        throw new InvalidContentError(
          `${this.file}: link ${member.name} → ${member.target} does not lead to a file in the archive`,
        );
      }
      member = target;
    }
    return member;
  }

  /** A stream of the member's bytes (links followed); NotFoundError when absent. */
  open(name: string): Readable {
    const member = this.require(name);
    if (member.size === 0) return Readable.from([]);
    return createReadStream(this.file, {
      start: member.offset,
      end: member.offset + member.size - 1,
      highWaterMark: BLOB_FILE_CHUNK,
    });
  }

  /** The whole member in memory (links followed); InvalidContentError when larger than `maxBytes`. */
  async read(name: string, maxBytes: number): Promise<Buffer> {
    const member = this.require(name);
    if (member.size > maxBytes) {
      throw new InvalidContentError(
        `${this.file}: ${member.name} is ${member.size} bytes, more than the ${maxBytes} allowed`,
      );
    }
    const handle = await open(this.file, 'r').catch((err: unknown) => {
      throw localErrorFrom(err) ?? err;
    });
    try {
      return await readExactly(handle, member.offset, member.size, this.file);
    } finally {
      await handle.close();
    }
  }

  private require(name: string): TarMember {
    const member = this.resolve(name);
    if (member === undefined)
      throw new NotFoundError(`${this.file}: no ${normaliseLookup(name)} in the archive`);
    return member;
  }
}

/** Convenience for `TarIndex.scan`. */
export function scanTar(file: string): Promise<TarIndex> {
  return TarIndex.scan(file);
}

async function scanMembers(handle: FileHandle, file: string): Promise<Map<string, TarMember>> {
  const bad = (problem: string): never => {
    throw new InvalidContentError(`${file}: ${problem}`);
  };
  const fileSize = (await handle.stat()).size;
  const members = new Map<string, TarMember>();
  const header = Buffer.alloc(BLOCK);
  let pending: Pending = {};
  let pos = 0;
  for (;;) {
    if (pos === fileSize) break; // no end-of-archive blocks: tolerated, as GNU tar does
    if (pos + BLOCK > fileSize) bad(`truncated: header at offset ${pos} runs past the end of the file`);
    await readInto(handle, header, pos);
    if (header.every((b) => b === 0)) break; // end-of-archive marker
    if (!checksumOk(header)) bad(`bad tar header checksum at offset ${pos}`);
    const typeflag = String.fromCharCode(header[156] ?? 0);
    const extended = typeflag === 'x' || typeflag === 'g' || typeflag === 'L' || typeflag === 'K';
    const headerSize = parseNumeric(header.subarray(124, 136), `size at offset ${pos}`, bad);
    const size = extended ? headerSize : (pending.size ?? headerSize);
    const offset = pos + BLOCK;
    if (offset + size > fileSize)
      bad(`truncated: member at offset ${pos} needs ${size} bytes, the file ends first`);
    pos = offset + Math.ceil(size / BLOCK) * BLOCK;

    if (extended) {
      if (typeflag === 'g') continue;
      if (size > MAX_EXTENDED_HEADER) bad(`extended header at offset ${offset - BLOCK} is ${size} bytes`);
      const data = await readExactly(handle, offset, size, file);
      if (typeflag === 'x') pending = { ...pending, ...parsePax(data, bad) };
      else if (typeflag === 'L') pending.path = cString(data);
      else pending.linkpath = cString(data);
      continue;
    }

    const rawName = pending.path ?? ustarName(header);
    const rawLink = pending.linkpath ?? cString(header.subarray(157, 257));
    pending = {};
    const name = normaliseName(rawName, bad);
    let member: TarMember;
    if (typeflag === '0' || typeflag === '\0' || typeflag === '7') {
      member = { name, type: 'file', offset, size };
    } else if (typeflag === '2') {
      member = { name, type: 'symlink', offset: 0, size: 0, target: linkTarget(name, rawLink, bad) };
    } else if (typeflag === '1') {
      member = { name, type: 'hardlink', offset: 0, size: 0, target: normaliseName(rawLink, bad) };
    } else {
      continue; // directories, devices, fifos: nothing to read (their names were still checked)
    }
    if (name === '') bad(`a ${member.type} without a name at offset ${offset - BLOCK}`);
    if (members.has(name)) bad(`duplicate entry ${name}`);
    members.set(name, member);
  }
  if (pending.path !== undefined || pending.size !== undefined)
    bad('truncated: extended header without a member');
  return members;
}

async function readInto(handle: FileHandle, buffer: Buffer, position: number): Promise<void> {
  let done = 0;
  while (done < buffer.length) {
    const { bytesRead } = await handle.read(buffer, done, buffer.length - done, position + done);
    if (bytesRead === 0)
      throw new InvalidContentError(`file shrank while reading at offset ${position + done}`);
    done += bytesRead;
  }
}

async function readExactly(
  handle: FileHandle,
  position: number,
  size: number,
  file: string,
): Promise<Buffer> {
  const buffer = Buffer.alloc(size);
  try {
    await readInto(handle, buffer, position);
  } catch (err) {
    throw new InvalidContentError(`${file}: ${(err as Error).message}`, { cause: err });
  }
  return buffer;
}

function components(path: string): string[] {
  return path.split('/').filter((part) => part !== '' && part !== '.');
}

/** './a//b/' → 'a/b'; refuses absolute names and any '..' component. */
function normaliseName(raw: string, bad: (problem: string) => never): string {
  if (raw.startsWith('/')) bad(`absolute path ${JSON.stringify(raw.slice(0, 200))} in the archive`);
  const parts = components(raw);
  if (parts.includes('..')) bad(`path ${JSON.stringify(raw.slice(0, 200))} leaves the archive ('..')`);
  return parts.join('/');
}

/** Lookups are lenient about './' and slashes, like the names stored. */
function normaliseLookup(name: string): string {
  return components(name).join('/');
}

/** A symlink target resolved against the link's directory; must stay inside the archive. */
function linkTarget(name: string, target: string, bad: (problem: string) => never): string {
  if (target.startsWith('/'))
    bad(`symlink ${name} points to the absolute path ${JSON.stringify(target.slice(0, 200))}`);
  const parts = components(name).slice(0, -1);
  for (const part of components(target)) {
    if (part !== '..') parts.push(part);
    else if (parts.pop() === undefined) bad(`symlink ${name} → ${target} points outside the archive`);
  }
  return parts.join('/');
}
