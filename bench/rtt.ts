/**
 * One command, by hand, on loopback and through the latency proxies, to see its round trips:
 *
 *   node --import tsx bench/rtt.ts [--rtt 200] [--runs 2] [--trace FILE] -- CMD ARG…
 *
 * `{SRC}` and `{DST}` in the arguments stand for the source registry (the benchmark's small
 * images: bench/small, bench/many1m, bench/multi, bench/tags) and a fresh, empty destination; each
 * run gets its own. Every run goes first straight to the registries, then through proxies that
 * add --rtt ms a round trip (latency-proxy.ts); it prints both walls and (proxied − direct) / RTT.
 * A large RTT (200 ms) makes the round trips stand out of a busy machine's noise, and shows
 * the structure that the benchmark's 40 ms hides when the client's own CPU time overlaps the
 * waits. --trace writes the requests and answers of the last proxied run, times in RTTs.
 * Like the benchmark, everything lives under /dev/shm/ferry-bench-<pid>/ and goes at the end.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { BenchContext } from './context.js';
import type { Turn } from './latency-proxy.js';
import { median } from './stats.js';
import { makeWorkDir, removeWorkDir } from './workdir.js';

function run(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const [cmd = '', ...rest] = args;
    const child = spawn(cmd, rest, { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (text: string) => {
      stderr = (stderr + text).slice(-2000);
    });
    child.once('error', reject);
    child.once('close', (code) =>
      code === 0
        ? resolve(performance.now() - started)
        : reject(new Error(`${args.join(' ')}: exit ${code}\n${stderr}`)),
    );
  });
}

function traceText(turns: { src: Turn[]; dst: Turn[] }, rttMs: number): string {
  const all = [
    ...turns.src.map((t) => ({ ...t, side: 'src' })),
    ...turns.dst.map((t) => ({ ...t, side: 'dst' })),
  ].sort((a, b) => a.at - b.at);
  const t0 = all[0]?.at ?? 0;
  const short = (line: string): string =>
    line.replace(/sha256:[0-9a-f]{64}/g, (d) => d.slice(0, 15)).replace(/\?_state=\S+/, '?_state=…');
  return `${all
    .map(
      (t) =>
        `${((t.at - t0) / rttMs).toFixed(2).padStart(7)} RTT  ${`${t.side}#${t.connection}`.padEnd(7)} ${t.direction} ${short(t.line)}`,
    )
    .join('\n')}\n`;
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    options: {
      rtt: { type: 'string', default: '200' },
      runs: { type: 'string', default: '2' },
      trace: { type: 'string' },
    },
    allowPositionals: true,
  });
  const rttMs = Number(values.rtt);
  const runs = Number(values.runs);
  if (!(rttMs > 0) || !(runs >= 1) || positionals.length === 0)
    throw new Error(
      'usage: bench/rtt.ts [--rtt MS] [--runs N] [--trace FILE] -- CMD ARG… ({SRC}, {DST} in ARGs)',
    );
  const work = makeWorkDir();
  process.env['FERRY_TEST_TMPDIR'] = join(work, 'reg');
  mkdirSync(join(work, 'reg'), { recursive: true });
  const env: NodeJS.ProcessEnv = { ...process.env, DOCKER_CONFIG: join(work, 'no-config') };
  delete env['NODE_OPTIONS'];
  const ctx = new BenchContext(work, '', env);
  try {
    await ctx.start();
    for (const image of ['small', 'many1m', 'multi'] as const) await ctx.image(image);
    await ctx.repository('tags');
    await ctx.useLatency(rttMs);
    const proxies = ctx.latency;
    if (!proxies) throw new Error('no proxies');
    const fill = (src: string, dst: string) =>
      positionals.map((a) => a.replaceAll('{SRC}', src).replaceAll('{DST}', dst));
    const estimates: number[] = [];
    for (let i = 0; i < runs; i++) {
      await ctx.freshDst();
      const direct = await run(fill(ctx.src.host, ctx.dst.host), env);
      await ctx.freshDst();
      await proxies.turns();
      const proxied = await run(fill(proxies.srcHost, proxies.dstHost), env);
      const turns = await proxies.turns();
      const estimate = (proxied - direct) / rttMs;
      estimates.push(estimate);
      process.stdout.write(
        `direct ${direct.toFixed(0)} ms, through ${rttMs} ms round trips ${proxied.toFixed(0)} ms: ${estimate.toFixed(1)} round trips; ${turns.src.length + turns.dst.length} turns\n`,
      );
      if (values.trace && i === runs - 1) writeFileSync(values.trace, traceText(turns, rttMs));
    }
    process.stdout.write(`median ${median(estimates).toFixed(1)} round trips\n`);
  } finally {
    await ctx.close();
    removeWorkDir();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
