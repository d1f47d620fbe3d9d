/**
 * Runs the real CLI: in-process through `main` with captured streams (fast; what command tests
 * use), or as a child process through bin/ferry.js (for the built bundle and real pipes).
 */
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { PassThrough, Readable, Writable } from 'node:stream';
import { main } from '../../src/cli.js';

export interface FerryResult {
  code: number;
  stdout: string;
  stdoutBytes: Buffer;
  stderr: string;
}

export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  stdin?: string;
}

class Capture extends Writable {
  readonly chunks: Buffer[] = [];
  isTTY = false;
  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    this.chunks.push(Buffer.from(chunk));
    done();
  }
  bytes(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

/** A clean environment: no proxies, no real ~/.docker, no colour; PATH kept for helpers and skopeo. */
export function baseEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env['PATH'],
    HOME: '/nonexistent-ferry-home',
    DOCKER_CONFIG: '/nonexistent-ferry-docker-config',
    ...extra,
  };
}

export async function ferry(args: readonly string[], options: RunOptions = {}): Promise<FerryResult> {
  const stdout = new Capture();
  const stderr = new Capture();
  const stdin =
    options.stdin === undefined ? new PassThrough().end() : Readable.from([Buffer.from(options.stdin)]);
  const code = await main(args, { stdout, stderr, stdin, env: options.env ?? baseEnv() });
  return {
    code,
    stdout: stdout.bytes().toString('utf8'),
    stdoutBytes: stdout.bytes(),
    stderr: stderr.bytes().toString('utf8'),
  };
}

const BIN = resolve(import.meta.dirname, '../../bin/ferry.js');

/** Spawns bin/ferry.js (needs `npm run build` first). */
export function ferryBin(args: readonly string[], options: RunOptions = {}): Promise<FerryResult> {
  return new Promise((done) => {
    const child = execFile(
      process.execPath,
      [BIN, ...args],
      { env: options.env ?? baseEnv(), encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code =
          err && typeof (err as { code?: unknown }).code === 'number'
            ? (err as { code: number }).code
            : err
              ? 1
              : 0;
        done({ code, stdout: stdout.toString('utf8'), stdoutBytes: stdout, stderr: stderr.toString('utf8') });
      },
    );
    child.stdin?.end(options.stdin ?? '');
  });
}
