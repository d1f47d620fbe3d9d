/**
 * Runs one workload: setup, warm-ups, then rounds in which every contender runs once, always in
 * the same order (ferry, skopeo[, node]) — A B A B … — so slow drift of the machine's load hits
 * both sides of a pair alike and the pair-by-pair ratio cancels it. Each run is checked (did it
 * produce the image / file?) and its registry requests are counted from the registries' access logs.
 */
import { loadavg } from 'node:os';
import type { Registry } from '../test/harness/registry.js';
import type { BenchContext } from './context.js';
import { cpuSnapshot, otherCores } from './machine.js';
import { type Measurement, measure } from './measure.js';
import type { Workload } from './workloads.js';

export interface RunRecord extends Measurement {
  /** Requests by method ('GET', 'HEAD', …) seen by the destination and the source during the run. */
  dstRequests: Record<string, number>;
  srcRequests: Record<string, number>;
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

function byMethod(
  registry: Registry | undefined,
  from: number,
): { counts: Record<string, number>; total: number } {
  const all = registry ? registry.requests() : [];
  const counts: Record<string, number> = {};
  for (const r of all.slice(from)) counts[r.method] = (counts[r.method] ?? 0) + 1;
  return { counts, total: all.length };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** `cmd args` with the registries' ports and the work dir replaced by SRC, DST and $WORK. */
export function printable(ctx: BenchContext, cmd: string, args: string[], dst: Registry | undefined): string {
  const words = [cmd === process.execPath ? 'node' : cmd, ...args].map((w) => {
    let word = w.replaceAll(ctx.ferryBin, 'bin/ferry.js').replaceAll(ctx.work, '$WORK');
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
    await workload.setup?.(ctx);
    const once = async (contenderIndex: number, measured: boolean): Promise<void> => {
      const contender = workload.contenders[contenderIndex];
      if (!contender) return;
      await workload.before?.(ctx, contender.name);
      const dst = workload.before ? ctx.dst : undefined;
      const dstFrom = workload.countRequests && dst ? dst.requests().length : 0;
      const srcFrom = workload.countRequests ? ctx.src.requests().length : 0;
      const command = contender.command(ctx);
      const m = await measure(command, report);
      if (m.exitCode !== 0) {
        throw new Error(
          `${contender.name} failed (exit ${m.exitCode}): ${printable(ctx, command.cmd, command.args, dst)}\n${m.stderrTail}`,
        );
      }
      let dstRequests: Record<string, number> = {};
      let srcRequests: Record<string, number> = {};
      if (workload.countRequests) {
        await sleep(30); // the registry logs a request just after answering it
        dstRequests = byMethod(dst, dstFrom).counts;
        srcRequests = byMethod(ctx.src, srcFrom).counts;
      }
      await workload.check?.(ctx, contender.name);
      if (!measured) return;
      result.commands[contender.name] ??= printable(ctx, command.cmd, command.args, dst);
      result.runs[contender.name]?.push({ ...m, dstRequests, srcRequests });
      const rss = (m.maxRssKiB / 1024).toFixed(0);
      log(
        `    ${contender.name.padEnd(10)} ${(m.wallMs / 1000).toFixed(3).padStart(8)} s  ${rss.padStart(5)} MiB`,
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
  }
  result.load.after = loadavg();
  result.otherCores = Math.round(otherCores(cpuBefore, cpuSnapshot()) * 100) / 100;
  result.seconds = (performance.now() - started) / 1000;
  return result;
}
