/**
 * `npm run bench -- --profile [--only …]`: where ferry's time goes, per workload.
 *
 * For each chosen workload ferry runs once more under `node --cpu-prof` (sampling every 200 µs)
 * and once with `--debug` (its request trace, kept beside the profile). The profile is summed
 * up three ways: self time by function, self time by category (sha256, zlib, streams, undici,
 * GC, idle = waiting on I/O …) and inclusive time of ferry's own functions. Bundle positions are
 * mapped back through dist/*.mjs.map, so undici (node_modules) and ferry (src/) are told apart.
 * For the latency workloads it also splits start-up: `node -e 0`, importing the bundle,
 * `ferry --version`, the command itself.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { basename, dirname, join } from 'node:path';
import type { BenchContext } from './context.js';
import { median } from './stats.js';
import type { Workload } from './workloads.js';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** Maps bundle positions to the original source file ('src/…' or 'node_modules/undici/…'). */
class Origins {
  private readonly maps = new Map<string, SourceMap | null>();

  source(frame: CallFrame): string {
    if (!frame.url.startsWith('file://') || !frame.url.includes('/dist/')) return frame.url;
    const file = new URL(frame.url).pathname;
    let map = this.maps.get(file);
    if (map === undefined) {
      try {
        map = new SourceMap(JSON.parse(readFileSync(`${file}.map`, 'utf8')));
      } catch {
        map = null;
      }
      this.maps.set(file, map);
    }
    if (!map) return basename(file);
    const entry = map.findEntry(frame.lineNumber, frame.columnNumber) as {
      originalSource?: string;
      originalLine?: number;
    };
    if (!entry.originalSource) return basename(file);
    const src = entry.originalSource.replace(/^.*?(src\/|node_modules\/)/, '$1');
    return `${src}:${(entry.originalLine ?? 0) + 1}`;
  }
}

function category(name: string, where: string): string {
  if (name === '(idle)') return 'idle (waiting for I/O)';
  if (name === '(garbage collector)') return 'garbage collector';
  if (name === '(program)') return 'native, unattributed ((program))';
  if (
    where.startsWith('node:internal/crypto') ||
    (/^(update|digest|Hash)$/.test(name) && where.includes('crypto'))
  )
    return 'crypto (sha256)';
  if (where.startsWith('node:zlib') || where.includes('zlib')) return 'zlib (gzip)';
  if (where.includes('node_modules/undici')) return 'undici';
  if (
    where.includes('node_modules/tar-stream') ||
    where.includes('node_modules/streamx') ||
    where.includes('node_modules/b4a')
  )
    return 'tar-stream / streamx';
  if (where.includes('node_modules/')) return 'other dependencies';
  if (where.startsWith('src/')) return 'ferry (src/)';
  if (where.startsWith('node:internal/streams') || where.startsWith('node:stream')) return 'node streams';
  if (where.startsWith('node:internal/fs') || where.startsWith('node:fs')) return 'node fs';
  if (where.startsWith('node:internal/modules') || where.startsWith('node:internal/bootstrap'))
    return 'module loading';
  if (where.startsWith('node:')) return 'other node internals';
  return 'other';
}

const WAITING_MS = 2;
const WAITING = 'waiting for a core (samples longer than 2 ms: a busy machine)';

export interface ProfileSummary {
  durationMs: number;
  self: { key: string; ms: number }[];
  categories: { key: string; ms: number }[];
  inclusiveFerry: { key: string; ms: number }[];
}

export function summarize(profile: CpuProfile): ProfileSummary {
  const origins = new Origins();
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const where = new Map<number, string>();
  const keyOf = (id: number): string => {
    const node = byId.get(id);
    if (!node) return '?';
    let w = where.get(id);
    if (w === undefined) {
      w = origins.source(node.callFrame);
      where.set(id, w);
    }
    return `${node.callFrame.functionName || '(anonymous)'} ${w}`;
  };
  const self = new Map<string, number>();
  const cats = new Map<string, number>();
  const incl = new Map<string, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i] as number;
    const ms = (profile.timeDeltas[i + 1] ?? profile.timeDeltas[i] ?? 0) / 1000;
    // The sampler interrupts every 200 µs; a sample that lasted ten times that is the process
    // waiting for a core (a busy machine), not the function on its stack: counted apart.
    if (ms > WAITING_MS) {
      self.set(WAITING, (self.get(WAITING) ?? 0) + ms);
      cats.set(WAITING, (cats.get(WAITING) ?? 0) + ms);
      continue;
    }
    const key = keyOf(id);
    self.set(key, (self.get(key) ?? 0) + ms);
    const node = byId.get(id);
    const cat = category(node?.callFrame.functionName ?? '', where.get(id) ?? '');
    cats.set(cat, (cats.get(cat) ?? 0) + ms);
    // Inclusive: every distinct ferry function on this sample's stack gets the sample once.
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const k = keyOf(at);
      if ((where.get(at) ?? '').startsWith('src/') && !seen.has(k)) {
        seen.add(k);
        incl.set(k, (incl.get(k) ?? 0) + ms);
      }
    }
  }
  const top = (m: Map<string, number>, n: number) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([key, ms]) => ({ key, ms }));
  return {
    durationMs: (profile.endTime - profile.startTime) / 1000,
    self: top(self, 20),
    categories: top(cats, 20),
    inclusiveFerry: top(incl, 20),
  };
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv, stderrFile?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr?.setEncoding('utf8').on('data', (t: string) => {
      stderr += t;
    });
    child.once('error', reject);
    child.once('close', (code) => {
      if (stderrFile) writeFileSync(stderrFile, stderr);
      if (code !== 0 && !(code === 1 && args.includes('exists')))
        reject(new Error(`${cmd} ${args.join(' ')}: exit ${code}\n${stderr.slice(-2000)}`));
      else resolve(performance.now() - started);
    });
  });
}

const table = (rows: { key: string; ms: number }[], total: number): string[] => [
  '| ms | % | function / where |',
  '|---|---|---|',
  ...rows.map(
    (r) =>
      `| ${r.ms.toFixed(0)} | ${((r.ms / total) * 100).toFixed(1)} | \`${r.key.replaceAll('|', '\\|')}\` |`,
  ),
];

export async function profileWorkloads(
  ctx: BenchContext,
  workloads: Workload[],
  outDir: string,
  log: (line: string) => void,
): Promise<void> {
  mkdirSync(outDir, { recursive: true });
  for (const workload of workloads) {
    const ferry = workload.contenders.find((c) => c.name === 'ferry');
    if (!ferry) continue;
    log(`profiling ${workload.id}`);
    const md: string[] = [`## \`${workload.id}\`: ${workload.title}`, ''];
    try {
      await ctx.useLatency(workload.rttMs);
      await workload.setup?.(ctx);
      await workload.before?.(ctx, 'ferry');
      const command = ferry.command(ctx);
      const [bin, ...ferryArgs] = command.args;
      const name = `${workload.id}.cpuprofile`;
      const wall = await run(
        command.cmd,
        [
          '--cpu-prof',
          '--cpu-prof-interval',
          '200',
          '--cpu-prof-dir',
          outDir,
          '--cpu-prof-name',
          name,
          bin as string,
          ...ferryArgs,
        ],
        command.env,
      );
      await workload.check?.(ctx, 'ferry');
      const summary = summarize(JSON.parse(readFileSync(join(outDir, name), 'utf8')) as CpuProfile);
      // Again with --debug: the request trace (what was sent when), for counting and ordering.
      await workload.before?.(ctx, 'ferry');
      const debugFile = join(outDir, `${workload.id}.debug.log`);
      // before() may have started a new destination: its port is in a new command.
      const again = ferry.command(ctx);
      const [, ...againArgs] = again.args;
      await run(again.cmd, [bin as string, '--debug', ...againArgs], again.env, debugFile);
      const trace = readFileSync(debugFile, 'utf8');
      // `--debug` prints each request sent as "> METHOD URL".
      const sent: Record<string, number> = {};
      for (const m of trace.matchAll(/^> ([A-Z]+) (\S+)/gm)) {
        const key = `${m[1]}${m[2]?.startsWith('https:') ? ' (https probe)' : ''}`;
        sent[key] = (sent[key] ?? 0) + 1;
      }
      const requests = Object.entries(sent)
        .map(([k, n]) => `${k} ${n}`)
        .join(', ');
      md.push(
        `Wall ${(wall / 1000).toFixed(2)} s under the profiler (profile span ${(summary.durationMs / 1000).toFixed(2)} s); requests sent, from the --debug trace: ${requests} (${basename(debugFile)}).`,
        '',
        'Self time by category:',
        '',
        ...table(summary.categories, summary.durationMs),
        '',
        'Top self time:',
        '',
        ...table(summary.self, summary.durationMs),
        '',
        'Inclusive time of ferry functions (src/):',
        '',
        ...table(summary.inclusiveFerry, summary.durationMs),
        '',
      );
      if (workload.id === 'digest' || workload.id === 'exists')
        md.push(...(await startupSplit(ctx, command.cmd, bin as string, ferryArgs, command.env)));
    } catch (err) {
      md.push(`Failed: ${err instanceof Error ? err.message : String(err)}`, '');
    } finally {
      await workload.teardown?.(ctx);
      await ctx.stopDst();
      await ctx.useLatency(undefined);
    }
    const text = md.join('\n');
    writeFileSync(join(outDir, `${workload.id}.md`), `${text}\n`);
    log(text);
  }
  log(`profiles and summaries in ${outDir} (open *.cpuprofile in Chrome DevTools → Performance)`);
}

/** Median of 15 runs each: bare Node, Node importing the bundle, `--version`, the command. */
async function startupSplit(
  _ctx: BenchContext,
  node: string,
  bin: string,
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<string[]> {
  const cli = join(dirname(dirname(bin)), 'dist', 'cli.mjs');
  const steps: [string, string[]][] = [
    ['node -e 0', ['-e', '0']],
    ['node: import dist/cli.mjs only', ['--input-type=module', '-e', `await import(${JSON.stringify(cli)})`]],
    ['ferry --version', [bin, '--version']],
    [`ferry ${args.join(' ')}`, [bin, ...args]],
  ];
  const times = new Map<string, number[]>(steps.map(([label]) => [label, []]));
  for (let i = 0; i < 15; i++) {
    for (const [label, a] of steps) times.get(label)?.push(await run(node, a, env));
  }
  const noCa = { ...env };
  delete noCa['NODE_EXTRA_CA_CERTS'];
  const noCaTimes = new Map<string, number[]>(steps.map(([label]) => [label, []]));
  for (let i = 0; i < 15; i++) {
    for (const [label, a] of steps) noCaTimes.get(label)?.push(await run(node, a, noCa));
  }
  return [
    'Start-up split (median of 15, ms; wall from this process):',
    '',
    '| step | with NODE_EXTRA_CA_CERTS as set | without it |',
    '|---|---|---|',
    ...steps.map(
      ([label]) =>
        `| ${label.replace(/127\.0\.0\.1:\d+/, 'SRC')} | ${median(times.get(label) ?? []).toFixed(0)} | ${median(noCaTimes.get(label) ?? []).toFixed(0)} |`,
    ),
    '',
  ];
}
