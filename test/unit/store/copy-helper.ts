// Shared by the store tests: the real copy engine over two stores (with no change to any layer,
// as between files) and helpers to compare layouts.
import { createHash } from 'node:crypto';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { CopySummary } from '../../../src/copy/events.js';
import { copyImageGraph } from '../../../src/copy/image-copy.js';
import { KEEP_LAYERS } from '../../../src/copy/layer-policy.js';
import { CopySession } from '../../../src/copy/session.js';
import { VerifyingStream } from '../../../src/digest/index.js';
import type { Descriptor } from '../../../src/image/descriptor.js';
import type { ImageDestination, ImageSource } from '../../../src/store/store.js';

export const REF_NAME = 'org.opencontainers.image.ref.name';

/** Copies the source's root (every platform) to the destination with the engine; closes the source. */
export async function copyImage(
  source: ImageSource,
  destination: ImageDestination,
  tag?: string,
): Promise<Descriptor> {
  try {
    const summary = await copyImageGraph(new CopySession(4), source, destination, {
      tag,
      layers: KEEP_LAYERS,
    });
    return summary.descriptor;
  } finally {
    await source.close();
  }
}

/** As copyImage, with --no-clobber: the summary, whose outcome says whether the tag was left alone. */
export async function copyNoClobber(
  source: ImageSource,
  destination: ImageDestination,
  tag: string,
): Promise<CopySummary> {
  try {
    return await copyImageGraph(new CopySession(4), source, destination, {
      tag,
      noClobber: true,
      layers: KEEP_LAYERS,
    });
  } finally {
    await source.close();
  }
}

/** Every file under `dir` (relative paths), sorted. */
export async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath ?? e.path, e.name).slice(dir.length + 1))
    .sort();
}

/** Checks every blob file of a layout hashes to its name; returns the digests. */
export async function layoutBlobs(dir: string): Promise<string[]> {
  const names = (await listFiles(dir)).filter((f) => f.startsWith('blobs/'));
  for (const name of names) {
    const hex = createHash('sha256')
      .update(await readFile(join(dir, name)))
      .digest('hex');
    if (`blobs/sha256/${hex}` !== name) throw new Error(`${dir}/${name} does not match its digest`);
  }
  return names.map((n) => `sha256:${n.slice('blobs/sha256/'.length)}`);
}

export async function readIndexJson(
  dir: string,
): Promise<{ manifests: Descriptor[] } & Record<string, unknown>> {
  return JSON.parse(await readFile(join(dir, 'index.json'), 'utf8'));
}

/** Flips one byte in the middle of a blob file (same size, other digest). */
export async function corruptBlob(dir: string, digest: string): Promise<void> {
  const file = join(dir, 'blobs', 'sha256', digest.slice('sha256:'.length));
  const bytes = await readFile(file);
  const i = Math.floor(bytes.length / 2);
  bytes[i] = (bytes[i] as number) ^ 0xff;
  await writeFile(file, bytes);
}

/**
 * `bytes` as a source's blob stream hands them to a destination: verified against `descriptor`
 * as they flow, failing at the end on a mismatch (store.ts: destinations rely on that).
 */
export function sourceStream(bytes: Buffer, descriptor: Pick<Descriptor, 'digest' | 'size'>): Readable {
  const verify = new VerifyingStream({ digest: descriptor.digest, size: descriptor.size, what: 'test blob' });
  return Readable.from([bytes]).pipe(verify);
}
