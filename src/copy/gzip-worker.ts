/**
 * A worker thread that gzips one layer at a time into a file (gzip-pool.ts sends the layer's
 * bytes; gzip-file.ts does the work): deflate, hash and write run here, off the main thread, so
 * several layers compress on several cores while the main thread moves bytes.
 *
 * Messages in: { op: 'begin', id, path } · { op: 'chunk', id, bytes } · { op: 'end', id } ·
 * { op: 'abort', id }. Out: { op: 'ack', id } per chunk taken · { op: 'done', id, digest, size } ·
 * { op: 'error', id, message }.
 */
import { rm } from 'node:fs/promises';
import { PassThrough } from 'node:stream';
import { parentPort } from 'node:worker_threads';
import { gzipToFile } from './gzip-file.js';

interface Job {
  input: PassThrough;
  done: Promise<{ digest: string; size: number }>;
  path: string;
}

const jobs = new Map<number, Job>();
const port = parentPort;

function begin(id: number, path: string): void {
  const input = new PassThrough({ highWaterMark: 256 * 1024 });
  const done = gzipToFile(input, path);
  jobs.set(id, { input, done, path });
  done.then(
    ({ digest, size: bytes }) => port?.postMessage({ op: 'done', id, digest, size: bytes }),
    async (err: unknown) => {
      await rm(path, { force: true });
      port?.postMessage({ op: 'error', id, message: err instanceof Error ? err.message : String(err) });
    },
  );
  done.finally(() => jobs.delete(id)).catch(() => {});
}

port?.on('message', (message: { op: string; id: number; path?: string; bytes?: Uint8Array }) => {
  const { op, id } = message;
  if (op === 'begin') {
    begin(id, message.path ?? '');
    return;
  }
  const job = jobs.get(id);
  if (!job) return;
  if (op === 'chunk') {
    // Acknowledged once taken in, so the sender keeps only a few chunks in flight.
    // The batch's memory is this thread's now (transferred or copied over): wrapped, not copied.
    const received = message.bytes ?? new Uint8Array();
    const bytes = Buffer.from(received.buffer, received.byteOffset, received.byteLength);
    if (job.input.write(bytes)) port?.postMessage({ op: 'ack', id });
    else job.input.once('drain', () => port?.postMessage({ op: 'ack', id }));
  } else if (op === 'end') {
    job.input.end();
  } else if (op === 'abort') {
    job.input.destroy(new Error('aborted'));
  }
});
