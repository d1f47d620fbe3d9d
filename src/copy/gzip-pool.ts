/**
 * Layers gzip'd on the way (layer-policy.ts), on worker threads (gzip-worker.ts), into temp files.
 *
 * Compressing before uploading makes the compressed digest known before any upload: the
 * destination is asked whether it has that blob (a re-push of a `docker save` archive used to
 * upload every layer again), and the upload is one monolithic PUT of known digest and size. The
 * adaptive gzip gives the same bytes for the same input (on the same zlib), so the digest of a
 * layer pushed before comes out the same. Deflate and its hash run on worker threads, one layer
 * per worker, so the layers of an archive compress on all cores while the main thread moves bytes.
 *
 * The temp files live in one folder of the system's temp directory for the run, each removed once
 * its layer is stored, and the folder on close().
 *
 * A worker that dies (an 'error', or an 'exit' of its own or by close()) fails the layer it was
 * packing and is never handed out again: the next layer that needs a worker gets a new one. A
 * layer waiting for a worker when the pool closes is refused, not left waiting.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { finished, type Readable } from 'node:stream';
import { Worker } from 'node:worker_threads';
import { LocalError } from '../errors.js';
import { gzipToFile } from './gzip-file.js';

export interface PackedLayer {
  digest: string;
  size: number;
  /** The gzip'd layer on disk; removed by `discard`. */
  path: string;
}

/** Batches sent to a worker and not yet taken in: enough to keep it busy, bounded in memory. */
const MAX_IN_FLIGHT = 4;
/**
 * Bytes sent to a worker at once. Files are read in 64 KiB chunks (young-gc.ts), and a message
 * and its acknowledgement per chunk kept the worker waiting: the push of a 1 GiB docker-archive
 * took 14 s against 4 s for the same gzip on one thread. A batch is gathered into a buffer of its
 * own, whose memory is then handed over to the worker, not copied.
 */
const BATCH_BYTES = 1024 * 1024;

type Reply =
  | { op: 'ack'; id: number }
  | { op: 'done'; id: number; digest: string; size: number }
  | {
      op: 'error';
      id: number;
      message: string;
    };

interface Slot {
  worker: Worker;
  busy: boolean;
  /** Set once the worker is gone: the slot is dropped, never handed out again. */
  dead: boolean;
}

interface Waiter {
  resolve(slot: Slot): void;
  reject(err: Error): void;
}

/**
 * A worker running gzip-worker: the bundle's `gzip-worker.mjs` beside this module. Under the tests,
 * which run the TypeScript sources through tsx, a worker does not inherit tsx's loader: it
 * registers tsx first, then loads the source.
 */
export function startGzipWorker(): Worker {
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./gzip-worker.mjs', import.meta.url));
  const source = JSON.stringify(new URL('./gzip-worker.ts', import.meta.url).href);
  return new Worker(
    `import('tsx/esm/api').then(({ register }) => register()).then(() => import(${source}));`,
    { eval: true },
  );
}

const closedError = (): LocalError => new LocalError('the compression workers are closed');

export class GzipPool {
  private readonly slots: Slot[] = [];
  private readonly waiting: Waiter[] = [];
  private dir: Promise<string> | undefined;
  private nextId = 0;
  private closed = false;

  /**
   * `size` workers; 0 runs the compression on the main thread (the engine's unit tests).
   * `start` starts one (the tests hand in workers that die, to see the pool survive them).
   */
  constructor(
    private readonly size = Math.max(1, availableParallelism()),
    private readonly start: () => Worker = startGzipWorker,
  ) {}

  /** gzips `data` into a temp file; the digest and size are those of the gzip'd bytes. */
  async pack(data: Readable): Promise<PackedLayer> {
    this.dir ??= mkdtemp(join(tmpdir(), 'ferry-gzip-')).catch((err: unknown) => {
      throw new LocalError(
        `cannot create a temporary folder for compressed layers: ${(err as Error).message}`,
      );
    });
    const path = join(await this.dir, `layer-${this.nextId}.gz`);
    const id = this.nextId++;
    if (this.size === 0) return { ...(await gzipToFile(data, path)), path };
    let slot: Slot;
    try {
      slot = await this.acquire();
    } catch (err) {
      data.destroy();
      throw err;
    }
    try {
      return await this.run(slot, id, path, data);
    } catch (err) {
      // A dead worker could not remove what it had written of the layer.
      if (slot.dead) await rm(path, { force: true });
      throw err;
    } finally {
      this.release(slot);
    }
  }

  private run(slot: Slot, id: number, path: string, data: Readable): Promise<PackedLayer> {
    const { worker } = slot;
    return new Promise<PackedLayer>((resolve, reject) => {
      let inFlight = 0;
      let settled = false;
      const finish = (err: Error | undefined, layer?: PackedLayer): void => {
        if (settled) return;
        settled = true;
        worker.off('message', onMessage);
        worker.off('error', onWorkerError);
        worker.off('exit', onExit);
        data.off('data', onData);
        if (err) {
          if (!slot.dead) worker.postMessage({ op: 'abort', id });
          data.destroy();
          reject(err);
        } else resolve(layer as PackedLayer);
      };
      const onMessage = (reply: Reply): void => {
        if (reply.id !== id) return;
        if (reply.op === 'ack') {
          inFlight--;
          if (inFlight < MAX_IN_FLIGHT && data.isPaused()) data.resume();
        } else if (reply.op === 'done') finish(undefined, { digest: reply.digest, size: reply.size, path });
        else finish(new LocalError(`compressing a layer into ${path}: ${reply.message}`));
      };
      const onWorkerError = (err: Error): void => finish(err);
      // After an 'error' too: whatever ended the thread, this layer will never be done.
      const onExit = (code: number): void =>
        finish(
          this.closed
            ? closedError()
            : new LocalError(`compressing a layer into ${path}: the worker stopped (exit code ${code})`),
        );
      let batch: Buffer[] = [];
      let batchBytes = 0;
      const send = (): void => {
        if (batchBytes === 0) return;
        // A fresh buffer (the stream may reuse its own): transferred when it owns its memory
        // whole, as a buffer of a batch's size does; a small last one is copied over.
        const bytes = Buffer.concat(batch, batchBytes);
        batch = [];
        batchBytes = 0;
        inFlight++;
        const owned = bytes.byteOffset === 0 && bytes.buffer.byteLength === bytes.length;
        worker.postMessage({ op: 'chunk', id, bytes }, owned ? [bytes.buffer as ArrayBuffer] : []);
        if (inFlight >= MAX_IN_FLIGHT) data.pause();
      };
      const onData = (chunk: Buffer): void => {
        batch.push(chunk);
        batchBytes += chunk.length;
        if (batchBytes >= BATCH_BYTES) send();
      };
      worker.on('message', onMessage);
      worker.on('error', onWorkerError);
      worker.on('exit', onExit);
      worker.postMessage({ op: 'begin', id, path });
      data.on('data', onData);
      data.once('end', () => {
        send();
        worker.postMessage({ op: 'end', id });
      });
      // The source's own verdict (a digest mismatch at its end) fails the layer, and so does a
      // source that failed or was destroyed before it got here, while it waited for a worker (the
      // copy aborted by another layer's failure): it emits nothing more, `finished` still says so.
      finished(data, { writable: false }, (err) => {
        if (err) finish(err);
      });
    });
  }

  private acquire(): Promise<Slot> {
    if (this.closed) return Promise.reject(closedError());
    const free = this.slots.find((s) => !s.busy);
    if (free) {
      free.busy = true;
      free.worker.ref();
      return Promise.resolve(free);
    }
    if (this.slots.length < this.size) return Promise.resolve(this.spawn());
    return new Promise((resolve, reject) => this.waiting.push({ resolve, reject }));
  }

  /** A new busy slot. Its worker's death marks it dead; an idle dead slot leaves the pool at once. */
  private spawn(): Slot {
    const slot: Slot = { worker: this.start(), busy: true, dead: false };
    const die = (): void => {
      if (slot.dead) return;
      slot.dead = true;
      if (!slot.busy) this.drop(slot);
    };
    // Listened to for the worker's whole life: an 'error' with no listener would throw.
    slot.worker.on('error', die);
    slot.worker.on('exit', die);
    this.slots.push(slot);
    return slot;
  }

  private drop(slot: Slot): void {
    const i = this.slots.indexOf(slot);
    if (i >= 0) this.slots.splice(i, 1);
  }

  /**
   * A busy worker keeps the process alive (its caller awaits it); an idle one does not. A dead
   * one is dropped, and a layer waiting for a worker gets a new one in its place.
   */
  private release(slot: Slot): void {
    if (slot.dead) {
      this.drop(slot);
      const waiter = this.closed ? undefined : this.waiting.shift();
      if (!waiter) return;
      try {
        waiter.resolve(this.spawn());
      } catch (err) {
        waiter.reject(err as Error);
      }
      return;
    }
    const next = this.waiting.shift();
    if (next) next.resolve(slot);
    else {
      slot.busy = false;
      slot.worker.unref();
    }
  }

  /** Removes a layer's temp file once it is stored (or not needed). */
  async discard(layer: PackedLayer): Promise<void> {
    await rm(layer.path, { force: true });
  }

  /** Stops the workers and removes the temp folder with anything left in it. */
  async close(): Promise<void> {
    this.closed = true;
    for (const waiter of this.waiting.splice(0)) waiter.reject(closedError());
    // Each worker's 'exit' fails the layer it was packing (run's listener): none is left waiting.
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
    this.slots.length = 0;
    const dir = await this.dir?.catch(() => undefined);
    if (dir) await rm(dir, { recursive: true, force: true });
  }
}
