/**
 * ferry's benchmark against crane and skopeo: `npm run bench [-- options]` (HELP below, bench/README.md).
 * Run by hand only — never from CI or the test suite.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { BenchContext } from './context.js';
import { type LimitResult, measureLimits } from './limits.js';
import { describeMachine } from './machine.js';
import { checkPrerequisites } from './prereq.js';
import { profileWorkloads } from './profile.js';
import { renderReport } from './report.js';
import { runWorkload, type WorkloadResult } from './runner.js';
import { makeWorkDir, removeStale, removeWorkDir } from './workdir.js';
import { WORKLOADS } from './workloads.js';

const HELP = `npm run bench [-- options]
  --quick            1 round per workload (3 for latency), 1 round of limits
  --only a,b         just these workloads (ids below; \`limits\` is one too); repeatable
  --pairs N          N rounds for every workload (default 5; 15 for latency)
  --no-build         measure dist/ as it is instead of running the build first
  --ferry DIR        measure another build: DIR/bin/ferry.js and DIR/dist (e.g. a patched
                     worktree, to check a proposed change); implies --no-build
  --out FILE         report path (default bench/RESULTS.md; bench/work/RESULTS.partial.md
                     with --quick, --only or --pairs)
  --profile          CPU-profile ferry on the chosen workloads instead (bench/work/profiles)
  --list             list workloads`;

const REPO = resolve(import.meta.dirname, '..');
const log = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

function options() {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      only: { type: 'string', multiple: true },
      pairs: { type: 'string' },
      'no-build': { type: 'boolean', default: false },
      ferry: { type: 'string' },
      out: { type: 'string' },
      profile: { type: 'boolean', default: false },
      list: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  const known = new Set([...WORKLOADS.map((w) => w.id), 'limits']);
  const only = (values.only ?? []).flatMap((o) => o.split(',')).filter((o) => o !== '');
  for (const id of only) if (!known.has(id)) throw new Error(`bench: unknown workload '${id}' (see --list)`);
  const pairs = values.pairs === undefined ? undefined : Number(values.pairs);
  if (pairs !== undefined && (!Number.isInteger(pairs) || pairs < 1))
    throw new Error('bench: --pairs needs a positive integer');
  return { ...values, only, pairs };
}

/** Builds (unless told not to) and copies bin/ + dist/ aside: others may rebuild dist/ mid-run. */
function snapshotFerry(work: string, build: boolean, from = REPO): { bin: string; version: string } {
  if (build) {
    log('building ferry (npm run build)');
    execFileSync(process.execPath, ['scripts/build.mjs'], { cwd: REPO, stdio: 'inherit' });
  }
  const snap = join(work, 'ferry');
  mkdirSync(snap, { recursive: true });
  cpSync(join(from, 'bin'), join(snap, 'bin'), { recursive: true });
  cpSync(join(from, 'dist'), join(snap, 'dist'), { recursive: true });
  const bin = join(snap, 'bin', 'ferry.js');
  const version = execFileSync(process.execPath, [bin, '--version'], { encoding: 'utf8' }).trim();
  log(`ferry ${version} snapshot at ${snap}`);
  return { bin, version };
}

/** The environment both clients run with: no proxies, no credentials of the user, scratch on tmpfs. */
function clientEnv(work: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const key of Object.keys(env)) {
    if (/^(https?|no|all)_proxy$/i.test(key) || key === 'NODE_OPTIONS' || key.startsWith('FERRY_'))
      delete env[key];
  }
  mkdirSync(join(work, 'docker-config'), { recursive: true });
  mkdirSync(join(work, 'tmp'), { recursive: true });
  env['DOCKER_CONFIG'] = join(work, 'docker-config');
  env['REGISTRY_AUTH_FILE'] = join(work, 'docker-config', 'no-such-auth.json');
  env['TMPDIR'] = join(work, 'tmp');
  return env;
}

async function main(): Promise<number> {
  const opts = options();
  if (opts.help || opts.list) {
    if (opts.help) log(HELP);
    log('workloads, in run order:');
    for (const w of WORKLOADS) log(`  ${w.id.padEnd(22)} ${w.title}`);
    log(
      `  ${'limits'.padEnd(22)} registry ingest/egress (curl) and Node sha256, 1 GiB (runs just before copy-1g)`,
    );
    return 0;
  }
  const selected = WORKLOADS.filter((w) => opts.only.length === 0 || opts.only.includes(w.id));
  const withLimits = opts.only.length === 0 || opts.only.includes('limits');
  const needGiB = selected.some((w) => w.id === 'copy-4g') ? 11 : 5;
  for (const warning of checkPrerequisites(needGiB)) log(warning);
  const stale = removeStale();
  if (stale.length > 0) log(`removed stale work dirs: ${stale.join(', ')}`);

  const started = new Date();
  // Traces through the latency proxies (runner.ts) describe this run only.
  rmSync(join(REPO, 'bench/work/traces'), { recursive: true, force: true });
  const work = makeWorkDir();
  // Harness registries put their config and log under FERRY_TEST_TMPDIR: keep them on tmpfs too.
  process.env['FERRY_TEST_TMPDIR'] = join(work, 'reg');
  for (const dir of ['in', 'out', 'reg']) mkdirSync(join(work, dir), { recursive: true });
  const other = opts.ferry === undefined ? undefined : resolve(opts.ferry);
  const ferry = snapshotFerry(work, !opts['no-build'] && other === undefined, other);
  const ctx = new BenchContext(work, ferry.bin, clientEnv(work));
  const machine = describeMachine(other ?? REPO, ferry.version);
  log(
    `machine: ${machine.cpu}, ${machine.cores} cores, load ${machine.loadAtStart.map((l) => l.toFixed(2)).join(' ')}`,
  );

  const partial = opts.quick || opts.only.length > 0 || opts.pairs !== undefined || other !== undefined;
  const out = resolve(
    opts.out ?? (partial ? join(REPO, 'bench/work/RESULTS.partial.md') : join(REPO, 'bench/RESULTS.md')),
  );
  const results: WorkloadResult[] = [];
  let limits: LimitResult[] = [];
  try {
    await ctx.start();
    if (opts.profile) {
      await profileWorkloads(ctx, selected, join(REPO, 'bench/work/profiles'), log);
      return 0;
    }
    for (const workload of selected) {
      if (workload.id === 'copy-1g' && withLimits) {
        log('limits: curl ingest/egress, node sha256');
        limits = await measureLimits(ctx, opts.quick ? 1 : 3);
      }
      const pairs = opts.pairs ?? (opts.quick ? workload.quickPairs : workload.pairs);
      log(`${workload.id}: ${workload.title} (${pairs} rounds)`);
      results.push(await runWorkload(ctx, workload, pairs, log));
    }
    if (withLimits && limits.length === 0) {
      log('limits: curl ingest/egress, node sha256');
      limits = await measureLimits(ctx, opts.quick ? 1 : 3);
    }
  } finally {
    await ctx.close();
  }
  const report = renderReport(
    {
      started,
      seconds: (Date.now() - started.getTime()) / 1000,
      mode: `${opts.quick ? 'quick' : partial ? 'partial' : 'full'}${other ? `, ferry from ${other}` : ''}`,
      argv: process.argv.slice(2),
      machine,
      loadAtEnd: loadavg(),
    },
    results,
    WORKLOADS,
    limits,
  );
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, report);
  const raw = join(REPO, 'bench/work', `results-${started.toISOString().replace(/[:.]/g, '-')}.json`);
  mkdirSync(dirname(raw), { recursive: true });
  writeFileSync(raw, JSON.stringify({ machine, results, limits }, null, 2));
  log(
    `report: ${out}\nraw numbers: ${raw}\ntook ${((Date.now() - started.getTime()) / 60000).toFixed(1)} min`,
  );
  removeWorkDir();
  return results.some((r) => r.error) ? 1 : 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
