/**
 * Layers gzip'd on the way (layer-policy.ts), into temp files.
 *
 * Compressing before uploading makes the compressed digest known before any upload: the
 * destination is asked whether it has that blob (a re-push of a `docker save` archive used to
 * upload every layer again), and the upload is one monolithic PUT of known digest and size. The
 * adaptive gzip gives the same bytes for the same input, so the digest of a layer pushed before
 * comes out the same.
 *
 * The work runs on the main thread: zlib's deflate runs on libuv's thread pool, so the layers of
 * an archive still compress on every core, and what is left here (the hash of the output, and
 * the stored blocks of a layer that does not compress) is not what a push waits for. Worker
 * threads did this before, and bought nothing but a V8 heap each (bench/PROFILE.md): a push of a
 * 1 GiB layer took 7.8 s and peaked at 125 MiB with one, 7.7 s and 75 MiB without; four
 * compressible layers of 135 MB, 9.1-9.4 s and 195-205 MiB with two, 8.5-9.4 s and 130 MiB without.
 *
 * The temp files live in one folder of the system's temp directory for the run, each removed once
 * its layer is stored (or when its packing fails), and the folder on close().
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { LocalError } from '../errors.js';
import { gzipToFile } from './gzip-file.js';

export interface PackedLayer {
  digest: string;
  size: number;
  /** The gzip'd layer on disk; removed by `discard`. */
  path: string;
}

export class LayerPacker {
  private dir: Promise<string> | undefined;
  private nextId = 0;
  private closed = false;

  /** gzips `data` into a temp file; the digest and size are those of the gzip'd bytes. */
  async pack(data: Readable): Promise<PackedLayer> {
    if (this.closed) {
      data.destroy();
      throw new LocalError('the layer compressor is closed');
    }
    this.dir ??= mkdtemp(join(tmpdir(), 'ferry-gzip-')).catch((err: unknown) => {
      throw new LocalError(
        `cannot create a temporary folder for compressed layers: ${(err as Error).message}`,
      );
    });
    let dir: string;
    try {
      dir = await this.dir;
    } catch (err) {
      data.destroy();
      throw err;
    }
    const path = join(dir, `layer-${this.nextId++}.gz`);
    try {
      return { ...(await gzipToFile(data, path)), path };
    } catch (err) {
      await rm(path, { force: true });
      throw err;
    }
  }

  /** Removes a layer's temp file once it is stored (or not needed). */
  async discard(layer: PackedLayer): Promise<void> {
    await rm(layer.path, { force: true });
  }

  /** Removes the temp folder with anything left in it; a later pack is refused. */
  async close(): Promise<void> {
    this.closed = true;
    const dir = await this.dir?.catch(() => undefined);
    if (dir) await rm(dir, { recursive: true, force: true });
  }
}
