/**
 * Runs one workload: setup, warm-ups, then rounds in which every contender runs once, always in
 * the same order (ferry, crane, skopeo[, node -e 0]) — A B C A B C … — so slow drift of the
 * machine's load hits every side of a round alike and the round-by-round ratio cancels it. Each
 * run is checked (did it produce the image / file?) and its registry requests are counted from the
 * registries' access logs; through the latency proxies, the connections each client opened too.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import type { Registry } from '../test/harness/registry.js';
import type { BenchContext } from './context.js';
import type { Turn } from './latency-proxy.js';
import { cpuSnapshot, otherCores } from './machine.js';
import { type Measurement, measure } from './measure.js';
import type { Contender, Workload } from './workloads.js';

export interface RunRecord extends Measurement {
  /** Requests by method and endpoint ('GET blob', 'HEAD manifest', …) seen by the destination and the source during the run. */
  dstRequests: Record<string, number>;
  srcRequests: Record<string, number>;
  /** Through the latency proxies: TCP connections the client opened to each registry. */
  connections?: { src: number; dst: number };
  /** Through the latency proxies: the same command run straight to the registries just before. */
  direct?: { wallMs: number };
}

export interface WorkloadResult {
  id: string;
  title: string;
  /** Measured runs by contender name, in round order. */
  runs: Record<string, RunRecord[]>;
  /** Printable commands by contender, with SRC/DST/$WORK in place of ports and paths. */
  commands: Record<string, string>;
  load: { before: number[]; after: number[] };
  /** Cores used on average by processes that are not the benchmark's, during this workload. */
  otherCores: number;
  seconds: number;
  error?: string;
}

/** What a request was for, from its path (distribution-spec endpoints): ping, manifest, blob, upload, tags. */
export function endpointOf(path: string): string {
  if (path === '/v2/' || path === '/v2') return 'ping';
  if (/\/blobs\/uploads(\/|$)/.test(path)) return 'upload';
  if (/\/blobs\/[^/]+$/.test(path)) return 'blob';
  if (/\/manifests\/[^/]+$/.test(path)) return 'manifest';
  if (/\/tags\/list$/.test(path)) return 'tags';
  return 'other';
}

/** The registry's requests since the `from`-th, counted by method and endpoint ('GET blob', 'PUT upload'). */
function byMethod(
  registry: Registry | undefined,
  from: number,
): { counts: Record<string, number>; total: number } {
  const all = registry ? registry.requests() : [];
  const counts: Record<string, number> = {};
  for (const r of all.slice(from)) {
    const key = `${r.method} ${endpointOf(r.path)}`;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return { counts, total: all.length };
}

const TRACES = join(import.meta.dirname, 'work', 'traces');

/**
 * bench/work/traces/<workload>.<contender>.txt: every request and answer line that went through
 * the proxies in one run, in time order, ms from the first: the exchanges one after another are
 * the round trips on the critical path, the ones side by side the parallel work.
 */
function writeTrace(
  workload: string,
  contender: string,
  command: string,
  turns: { src: Turn[]; dst: Turn[] },
): void {
  const all = [
    ...turns.src.map((t) => ({ ...t, side: 'src' })),
    ...turns.dst.map((t) => ({ ...t, side: 'dst' })),
  ].sort((a, b) => a.at - b.at);
  const t0 = all[0]?.at ?? 0;
  const lines = all.map(
    (t) =>
      `${(t.at - t0).toFixed(1).padStart(8)} ms  ${`${t.side}#${t.connection}`.padEnd(7)} ${t.direction} ${t.line}`,
  );
  mkdirSync(TRACES, { recursive: true });
  writeFileSync(
    join(TRACES, `${workload}.${contender.replaceAll(/\W+/g, '_')}.txt`),
    `# ${command}\n# ms after the first byte, proxy#connection, > request / < answer (as the proxy saw them, before its delay)\n${lines.join('\n')}\n`,
  );
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves once the registry has logged no new request for 40 ms (it logs just after answering). */
async function settled(registry: Registry | undefined): Promise<void> {
  if (!registry) return;
  for (let seen = -1, now = registry.requests().length; now !== seen; now = registry.requests().length) {
    seen = now;
    await sleep(40);
  }
}

/** `cmd args` with the registries' ports and the work dir replaced by SRC, DST (PSRC, PDST: their latency proxies) and $WORK. */
export function printable(ctx: BenchContext, cmd: string, args: string[], dst: Registry | undefined): string {
  const words = [cmd === process.execPath ? 'node' : cmd, ...args].map((w) => {
    let word = w.replaceAll(ctx.ferryBin, 'bin/ferry.js').replaceAll(ctx.work, '$WORK');
    if (ctx.latency)
      word = word.replaceAll(ctx.latency.srcHost, 'PSRC').replaceAll(ctx.latency.dstHost, 'PDST');
    word = word.replaceAll(ctx.src.host, 'SRC');
    if (dst) word = word.replaceAll(dst.host, 'DST');
    word = word.replace(/127\.0\.0\.1:\d+/g, 'SRC2');
    // $WORK is left for the shell to expand; anything else unusual is single-quoted.
    return /[\s"'<>|&;()]/.test(word) ? `'${word}'` : word;
  });
  return words.join(' ');
}

export async function runWorkload(
  ctx: BenchContext,
  workload: Workload,
  pairs: number,
  log: (line: string) => void,
): Promise<WorkloadResult> {
  const started = performance.now();
  const result: WorkloadResult = {
    id: workload.id,
    title: workload.title,
    runs: Object.fromEntries(workload.contenders.map((c) => [c.name, []])),
    commands: {},
    load: { before: loadavg(), after: [] },
    otherCores: 0,
    seconds: 0,
  };
  const cpuBefore = cpuSnapshot();
  const report = ctx.path('time-report');
  try {
    await ctx.useLatency(workload.rttMs);
    await workload.setup?.(ctx);
    /** One run of a contender, prepared, measured, counted and checked. */
    const runOne = async (
      contender: Contender,
    ): Promise<{ record: RunRecord; command: string; turns?: { src: Turn[]; dst: Turn[] } }> => {
      // A baseline (node -e 0) touches no registry: nothing to prepare, check or count.
      const client = !contender.baseline;
      if (client) await workload.before?.(ctx, contender.name);
      const dst = workload.before && client ? ctx.dst : undefined;
      const count = workload.countRequests && client;
      // A fresh destination's readiness GET /v2/ (the harness's), or a pre-fill's last request,
      // may still be on its way to the log: wait for it, or it counts as the client's.
      if (count) await Promise.all([settled(dst), settled(ctx.src)]);
      const dstFrom = count && dst ? dst.requests().length : 0;
      const srcFrom = count ? ctx.src.requests().length : 0;
      const proxies = ctx.proxied ? ctx.latency : undefined;
      const connectionsFrom = await proxies?.connections();
      await proxies?.turns(); // forget the turns of earlier runs
      const command = contender.command(ctx);
      const m = await measure(command, report);
      const shown = printable(ctx, command.cmd, command.args, dst);
      if (m.exitCode !== 0)
        throw new Error(`${contender.name} failed (exit ${m.exitCode}): ${shown}\n${m.stderrTail}`);
      let dstRequests: Record<string, number> = {};
      let srcRequests: Record<string, number> = {};
      if (count) {
        await Promise.all([settled(dst), settled(ctx.src)]); // the registry logs a request just after answering it
        dstRequests = byMethod(dst, dstFrom).counts;
        srcRequests = byMethod(ctx.src, srcFrom).counts;
      }
      const connectionsTo = client ? await proxies?.connections() : undefined;
      const connections =
        connectionsFrom && connectionsTo
          ? { src: connectionsTo.src - connectionsFrom.src, dst: connectionsTo.dst - connectionsFrom.dst }
          : undefined;
      const turns = client ? await proxies?.turns() : undefined;
      if (client) await workload.check?.(ctx, contender.name);
      return {
        ...(turns ? { turns } : {}),
        record: { ...m, dstRequests, srcRequests, ...(connections ? { connections } : {}) },
        command: shown,
      };
    };
    const once = async (contenderIndex: number, measured: boolean): Promise<void> => {
      const contender = workload.contenders[contenderIndex];
      if (!contender) return;
      // Through the proxies, each run has a twin straight to the registries just before it: the
      // difference of the two is the round trips' cost, with the machine's load of that moment
      // on both sides (runs minutes apart in two workloads would not cancel it on a busy machine).
      const twin =
        ctx.latency && !contender.baseline ? await ctx.withoutLatency(() => runOne(contender)) : undefined;
      const { record, command, turns } = await runOne(contender);
      if (!measured) return;
      if (turns && result.runs[contender.name]?.length === 0)
        writeTrace(workload.id, contender.name, command, turns);
      result.commands[contender.name] ??= command;
      result.runs[contender.name]?.push({
        ...record,
        ...(twin ? { direct: { wallMs: twin.record.wallMs } } : {}),
      });
      const rss = (record.maxRssKiB / 1024).toFixed(0);
      const direct = twin ? `  (direct ${(twin.record.wallMs / 1000).toFixed(3)} s)` : '';
      log(
        `    ${contender.name.padEnd(10)} ${(record.wallMs / 1000).toFixed(3).padStart(8)} s  ${rss.padStart(5)} MiB${direct}`,
      );
    };
    for (let w = 0; w < workload.warmup; w++)
      for (let c = 0; c < workload.contenders.length; c++) await once(c, false);
    for (let p = 0; p < pairs; p++) {
      log(`  round ${p + 1}/${pairs}`);
      for (let c = 0; c < workload.contenders.length; c++) await once(c, true);
    }
  } catch (err) {
    result.error = err instanceof Error ? err.message : String(err);
    log(`  FAILED: ${result.error}`);
  } finally {
    await workload.teardown?.(ctx).catch((err: unknown) => log(`  teardown failed: ${String(err)}`));
    await ctx.stopDst();
    await ctx.useLatency(undefined);
  }
  result.load.after = loadavg();
  result.otherCores = Math.round(otherCores(cpuBefore, cpuSnapshot()) * 100) / 100;
  result.seconds = (performance.now() - started) / 1000;
  return result;
}
