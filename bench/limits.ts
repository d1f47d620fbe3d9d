/**
 * The ceilings ferry's copy is held against, measured in the same run on the same machine:
 *
 * - registry ingest: curl's monolithic upload of the 1 GiB layer blob (POST a session, then one
 *   PUT ?digest= with the body), the fastest a client can hand the registry those bytes;
 * - registry egress: curl GET of the same blob to /dev/null;
 * - Node's sha256: the 1 GiB blob hashed from tmpfs in 1 MiB reads (what a streaming verify
 *   costs per pass), and the same bytes hashed from memory (the hash alone).
 *
 * Each is run `rounds` times into a fresh destination; the report uses medians.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BenchContext } from './context.js';
import { type Command, type Measurement, measure } from './measure.js';
import { runQuiet } from './proc.js';
import { openUpload } from './seed.js';

export interface LimitResult {
  id: 'ingest' | 'egress' | 'sha256-file' | 'sha256-memory';
  title: string;
  /** Printable command, with SRC/DST/$WORK in place of ports and paths. */
  command: string;
  bytes: number;
  runs: Measurement[];
  /** For sha256: the in-process time of the hashing alone (no Node start-up), ms per run. */
  innerMs?: number[];
}

const HASH_FILE = `
const { createHash } = require('node:crypto');
const { createReadStream } = require('node:fs');
const t = performance.now();
const h = createHash('sha256');
createReadStream(process.argv[1], { highWaterMark: 1 << 20 })
  .on('data', (c) => h.update(c))
  .on('end', () => { h.digest('hex'); console.log(performance.now() - t); });
`;

const HASH_MEMORY = `
const { createHash, randomFillSync } = require('node:crypto');
const total = Number(process.argv[1]);
const chunk = randomFillSync(Buffer.alloc(1 << 20));
const t = performance.now();
const h = createHash('sha256');
for (let done = 0; done < total; done += chunk.length) h.update(chunk);
h.digest('hex');
console.log(performance.now() - t);
`;

export async function measureLimits(ctx: BenchContext, rounds: number): Promise<LimitResult[]> {
  const big = await ctx.image('big');
  const layer = big.layers[0];
  if (!layer) throw new Error('big image has no layer');
  const blobFile = ctx.path('in', 'big-layer.blob');
  const blobUrl = `${ctx.src.url}/v2/bench/big/blobs/${layer.digest}`;
  await runQuiet('curl', ['-sf', '-o', blobFile, blobUrl], ctx.env);
  const report = join(ctx.work, 'time-report');

  const ingest: LimitResult = {
    id: 'ingest',
    title: 'Registry ingest: curl monolithic PUT of the 1 GiB blob',
    command: `LOC=$(POST DST/v2/raw/curl/blobs/uploads/ → Location); curl -sf -T $WORK/in/big-layer.blob -X PUT -H 'Content-Type: application/octet-stream' "$LOC&digest=${layer.digest}"`,
    bytes: layer.size,
    runs: [],
  };
  const egress: LimitResult = {
    id: 'egress',
    title: 'Registry egress: curl GET of the 1 GiB blob to /dev/null',
    command: `curl -sf -o /dev/null SRC/v2/bench/big/blobs/${layer.digest}`,
    bytes: layer.size,
    runs: [],
  };
  const hashFile: LimitResult = {
    id: 'sha256-file',
    title: 'Node sha256 of the 1 GiB blob read from tmpfs (1 MiB reads)',
    command: 'node -e "<createReadStream 1 MiB → createHash(sha256)>" $WORK/in/big-layer.blob',
    bytes: layer.size,
    runs: [],
    innerMs: [],
  };
  const hashMemory: LimitResult = {
    id: 'sha256-memory',
    title: 'Node sha256 of 1 GiB in memory (1 MiB updates)',
    command: 'node -e "<1024 × hash.update(1 MiB buffer)>"',
    bytes: 1024 * 1024 * 1024,
    runs: [],
    innerMs: [],
  };
  for (let i = 0; i < rounds; i++) {
    const dst = await ctx.freshDst();
    const location = await openUpload(dst.url, 'raw/curl');
    const url = new URL(location);
    url.searchParams.set('digest', layer.digest);
    const put: Command = {
      cmd: 'curl',
      args: [
        '-sf',
        '-T',
        blobFile,
        '-X',
        'PUT',
        '-H',
        'Content-Type: application/octet-stream',
        url.toString(),
      ],
      env: ctx.env,
    };
    ingest.runs.push(await checked(put, report));
    egress.runs.push(
      await checked({ cmd: 'curl', args: ['-sf', '-o', '/dev/null', blobUrl], env: ctx.env }, report),
    );
    const stdout = ctx.path('out', 'hash-ms');
    hashFile.runs.push(
      await checked(
        { cmd: process.execPath, args: ['-e', HASH_FILE, blobFile], env: ctx.env, stdoutFile: stdout },
        report,
      ),
    );
    hashFile.innerMs?.push(await readMs(stdout));
    hashMemory.runs.push(
      await checked(
        {
          cmd: process.execPath,
          args: ['-e', HASH_MEMORY, String(hashMemory.bytes)],
          env: ctx.env,
          stdoutFile: stdout,
        },
        report,
      ),
    );
    hashMemory.innerMs?.push(await readMs(stdout));
  }
  await ctx.stopDst();
  return [ingest, egress, hashFile, hashMemory];
}

async function checked(command: Command, report: string): Promise<Measurement> {
  const m = await measure(command, report);
  if (m.exitCode !== 0)
    throw new Error(`${command.cmd} ${command.args.join(' ')} failed (${m.exitCode}): ${m.stderrTail}`);
  return m;
}

async function readMs(file: string): Promise<number> {
  return Number((await readFile(file, 'utf8')).trim());
}
