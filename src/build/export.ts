/**
 * `export IMAGE FILE|-`: the filesystem of one platform of an image as a single tar, with every
 * layer applied in order (whiteouts and opaque directories honoured, hard links kept: see
 * flatten-plan.ts), streamed with flat memory.
 *
 * Each layer is fetched once, verified, into a temp file (its compressed bytes: gzip, zstd or plain,
 * told apart by their first bytes, util/decompress.ts). The files are then read twice: from the top
 * layer down to decide what survives (headers only), and from the bottom up to write it, so the
 * output is in layer order and a directory comes before what it holds. Disk use is the image's
 * compressed size; memory holds names, never contents.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline as pipelineCallback, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { pickChildren } from '../copy/platforms.js';
import { FerryError, InvalidContentError, LocalError, UsageError } from '../errors.js';
import type { Descriptor, Platform } from '../image/descriptor.js';
import { type ImageManifest, parseManifest } from '../image/manifest.js';
import { hostPlatform } from '../image/platform.js';
import type { RegistryClient } from '../registry/client.js';
import type { Location } from '../store/location.js';
import { openSource } from '../store/open.js';
import type { ImageSource } from '../store/store.js';
import { Decompressor } from '../util/decompress.js';
import { mapLimit } from '../util/limit.js';
import { isImageConfigType } from './config-edit.js';
import { type EntryType, FlattenPlan, normaliseName, type PlanEntry } from './flatten-plan.js';

export interface ExportRequest {
  image: Location;
  platform?: Platform | undefined;
  client: (registry: string) => RegistryClient;
  tempDir: string;
  /** Consumes the tar (into a file, or stdout); resolves when all of it is written. */
  write: (tar: Readable) => Promise<void>;
  /** Layers downloaded at once. */
  jobs: number;
}

export interface ExportSummary {
  digest: string;
  layers: number;
  entries: number;
}

type Header = tar.Headers & { pax?: Record<string, string> };

function entryType(type: Header['type']): EntryType {
  switch (type) {
    case 'file':
    case 'contiguous-file':
    case undefined:
    case null:
      return 'file';
    case 'directory':
      return 'directory';
    case 'link':
      return 'link';
    default:
      return 'other';
  }
}

/** The image manifest to export: the image itself, or the platform's child of an index. */
async function imageOf(
  source: ImageSource,
  platform: Platform | undefined,
): Promise<{ descriptor: Descriptor; manifest: ImageManifest }> {
  const root = await source.root();
  let descriptor = root.descriptor;
  let parsed = parseManifest(root.bytes, descriptor.mediaType, `manifest of ${source.description}`);
  if (parsed.kind === 'index') {
    const [picked] = pickChildren(parsed.index, [platform ?? hostPlatform()], source.description).images;
    descriptor = picked!.descriptor;
    const bytes = await source.manifest(descriptor);
    parsed = parseManifest(bytes, descriptor.mediaType, `manifest ${descriptor.digest}`);
    if (parsed.kind !== 'image')
      throw new FerryError(
        'E_UNSUPPORTED',
        `${source.description}: the ${descriptor.digest} entry is an index`,
      );
  }
  if (!isImageConfigType(parsed.manifest.config.mediaType))
    throw new UsageError(
      `${source.description} is an artifact (its config is ${parsed.manifest.config.mediaType}), not an image: it has no filesystem`,
    );
  return { descriptor, manifest: parsed.manifest };
}

/** Reads the tar in `file`, calling `onEntry` for each (its body must be consumed or resumed). */
async function readLayer(
  file: string,
  what: string,
  onEntry: (header: Header, ordinal: number, body: Readable) => Promise<void>,
): Promise<void> {
  const extract = tar.extract();
  let ordinal = 0;
  extract.on('entry', (header: Header, body: Readable, next: (err?: unknown) => void) => {
    onEntry(header, ordinal++, body).then(
      () => next(),
      (err: unknown) => next(err),
    );
  });
  try {
    await pipeline(createReadStream(file), new Decompressor(what), extract);
  } catch (err) {
    if (err instanceof FerryError) throw err;
    throw new InvalidContentError(`${what} is not a valid layer tar: ${(err as Error).message}`);
  }
}

function drain(body: Readable): Promise<void> {
  return new Promise((resolve, reject) => {
    body.on('end', resolve);
    body.on('error', reject);
    body.resume();
  });
}

/** Writes one entry into the output tar: its body piped through, or none. */
function writeEntry(pack: tar.Pack, header: Header, body: Readable | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const entry = pack.entry(header, (err) => (err ? reject(err) : resolve()));
    if (body === undefined) return;
    pipelineCallback(body, entry, (err) => {
      if (err) reject(err);
    });
  });
}

/**
 * A '..' in a name (or a hard link's target) would put the entry outside the root of whoever
 * extracts the export, and some extractors follow it. Checked in the planning pass, so nothing has
 * been written when it fails. A leading '/' is harmless here: normaliseName makes names relative.
 * A symlink's target may well hold '..' (`lib -> ../usr/lib`); it is data, not a path written to.
 */
function refuseEscape(header: Header, layer: string): void {
  const escapes = (name: string): boolean => name.split('/').includes('..');
  const bad = escapes(header.name)
    ? header.name
    : header.type === 'link' && header.linkname && escapes(header.linkname)
      ? header.linkname
      : undefined;
  if (bad === undefined) return;
  throw new InvalidContentError(
    `${layer}: entry ${JSON.stringify(bad.slice(0, 200))} has a '..' component, which would escape the root`,
  );
}

function outputHeader(header: Header, name: string): Header {
  const out: Header = { ...header, name: header.type === 'directory' ? `${name}/` : name };
  if (header.type === 'link' && header.linkname) out.linkname = normaliseName(header.linkname);
  if (header.type !== 'file' && header.type !== 'contiguous-file') out.size = 0;
  return out;
}

export async function exportFilesystem(request: ExportRequest): Promise<ExportSummary> {
  const source = await openSource(request.image, request.client);
  let dir: string | undefined;
  try {
    const { descriptor, manifest } = await imageOf(source, request.platform);
    dir = await mkdtemp(join(request.tempDir, 'ferry-export-'));
    const workDir = dir;
    const files = await mapLimit(manifest.layers, request.jobs, async (layer, i) => {
      const file = join(workDir, `layer-${i}`);
      try {
        await pipeline(await source.blob(layer), createWriteStream(file));
      } catch (err) {
        if (err instanceof FerryError) throw err;
        throw new LocalError(
          `cannot write ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
        );
      }
      return file;
    });
    const what = (i: number): string => `layer ${manifest.layers[i]!.digest} of ${source.description}`;

    const plan = new FlattenPlan<Header>();
    for (let i = files.length - 1; i >= 0; i--) {
      const entries: PlanEntry[] = [];
      const headers = new Map<number, Header>();
      await readLayer(files[i]!, what(i), async (header, ordinal, body) => {
        refuseEscape(header, what(i));
        const type = entryType(header.type);
        entries.push({
          name: normaliseName(header.name),
          type,
          linkname: header.linkname ? normaliseName(header.linkname) : undefined,
        });
        if (type === 'directory') headers.set(ordinal, header);
        await drain(body);
      });
      plan.addLayer(i, entries, (ordinal) => headers.get(ordinal)!);
    }

    const pack = tar.pack();
    const written = request.write(pack);
    written.catch(() => {});
    let count = 0;
    try {
      for (const [i, file] of files.entries()) {
        await readLayer(file, what(i), async (header, ordinal, body) => {
          const action = plan.action(i, ordinal);
          if (action === undefined) return drain(body);
          count++;
          const name = normaliseName(header.name);
          if (action.kind === 'write') {
            const chosen = action.header ?? header;
            const hasBody = chosen === header && entryType(header.type) === 'file';
            if (!hasBody) drain(body).catch(() => {});
            return writeEntry(pack, outputHeader(chosen, name), hasBody ? body : undefined);
          }
          if (action.kind === 'write-as') return writeEntry(pack, outputHeader(header, action.name), body);
          drain(body).catch(() => {});
          return writeEntry(pack, { ...outputHeader(header, name), linkname: action.linkname }, undefined);
        });
      }
      pack.finalize();
    } catch (err) {
      pack.destroy(err as Error);
      throw err;
    }
    await written;
    return { digest: descriptor.digest, layers: files.length, entries: count };
  } finally {
    await source.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  }
}
