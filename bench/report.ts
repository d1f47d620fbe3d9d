/**
 * bench/RESULTS.md from a run: the machine, the exact commands, one summary row per workload
 * (medians, pair-by-pair ratio with its spread, peak RSS, target, met?), the limits and ferry's
 * fraction of them, where ferry is behind, then every run's numbers and request counts.
 */
import type { LimitResult } from './limits.js';
import type { Machine } from './machine.js';
import type { RunRecord, WorkloadResult } from './runner.js';
import { median, pairRatios, type Spread, spread } from './stats.js';
import type { Target, Workload } from './workloads.js';

export interface RunInfo {
  started: Date;
  seconds: number;
  mode: string;
  argv: string[];
  machine: Machine;
  loadAtEnd: number[];
}

export interface Verdict {
  workload: string;
  target: string;
  value: string;
  met: boolean | undefined;
}

const MiB = 1024 * 1024;
const secs = (ms: number): string => {
  const s = ms / 1000;
  return s < 1 ? s.toFixed(3) : s < 10 ? s.toFixed(2) : s.toFixed(1);
};
const ratio = (r: number): string => (Number.isFinite(r) ? r.toFixed(2) : '–');
const spreadText = (s: Spread): string =>
  s.n === 0
    ? '–'
    : `**${ratio(s.median)}** (${ratio(s.min)}–${ratio(s.max)}; IQR ${ratio(s.q1)}–${ratio(s.q3)})`;
const mib = (kib: number): string => (kib / 1024).toFixed(0);
const loads = (l: number[]): string => l.map((x) => x.toFixed(2)).join(' / ');

const walls = (runs: RunRecord[] | undefined): number[] => (runs ?? []).map((r) => r.wallMs);
/** Median CPU seconds (user + sys) of the client process: steadier than wall time on a busy machine. */
const cpu = (runs: RunRecord[] | undefined): string => {
  const values = (runs ?? []).flatMap((r) =>
    r.userS === undefined || r.sysS === undefined ? [] : [r.userS + r.sysS],
  );
  return values.length ? median(values).toFixed(2) : '–';
};
const peak = (runs: RunRecord[] | undefined): number => Math.max(0, ...(runs ?? []).map((r) => r.maxRssKiB));

export function limitMedianMs(limits: LimitResult[], id: LimitResult['id']): number | undefined {
  const found = limits.find((l) => l.id === id);
  return found && found.runs.length > 0 ? median(found.runs.map((r) => r.wallMs)) : undefined;
}

/** Every target of every workload, judged. */
export function judge(results: WorkloadResult[], workloads: Workload[], limits: LimitResult[]): Verdict[] {
  const verdicts: Verdict[] = [];
  for (const result of results) {
    const workload = workloads.find((w) => w.id === result.id);
    if (!workload) continue;
    for (const target of workload.targets) verdicts.push(judgeOne(result, target, limits));
  }
  return verdicts;
}

function judgeOne(result: WorkloadResult, target: Target, limits: LimitResult[]): Verdict {
  const ferry = result.runs['ferry'] ?? [];
  const none = (t: string): Verdict => ({
    workload: result.id,
    target: t,
    value: 'not measured',
    met: undefined,
  });
  switch (target.kind) {
    case 'ratio': {
      const t = `ferry/${target.versus} ≤ ${target.max}`;
      const r = pairRatios(walls(ferry), walls(result.runs[target.versus]));
      if (r.length === 0) return none(t);
      const m = median(r);
      return { workload: result.id, target: t, value: ratio(m), met: m <= target.max };
    }
    case 'rss': {
      const t = `ferry peak RSS ≤ ${target.maxMiB} MiB`;
      if (ferry.length === 0) return none(t);
      const p = peak(ferry) / 1024;
      return { workload: result.id, target: t, value: `${p.toFixed(0)} MiB`, met: p <= target.maxMiB };
    }
    case 'ingest': {
      const t = `within ${target.slack * 100}% of registry ingest (curl PUT)`;
      const limit = limitMedianMs(limits, 'ingest');
      if (ferry.length === 0 || limit === undefined) return none(t);
      const f = median(walls(ferry)) / limit;
      return {
        workload: result.id,
        target: t,
        value: `${f.toFixed(2)} × curl's time`,
        met: f <= 1 + target.slack,
      };
    }
  }
}

const met = (v: boolean | undefined): string => (v === undefined ? '–' : v ? 'yes' : '**no**');

function summaryTable(results: WorkloadResult[], workloads: Workload[], verdicts: Verdict[]): string[] {
  const lines = [
    '| workload | ferry median s | skopeo median s | ratio ferry/skopeo, median (min–max; IQR) | ferry peak RSS MiB | skopeo peak RSS MiB | CPU s ferry / skopeo | other load (cores) | target | met? |',
    '|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const result of results) {
    const workload = workloads.find((w) => w.id === result.id);
    const f = result.runs['ferry'] ?? [];
    const s = result.runs['skopeo'] ?? [];
    const v = verdicts.filter((x) => x.workload === result.id);
    const targets = v.map((x) => `${x.target}: ${x.value}`).join('<br>') || '–';
    const mets = v.map((x) => met(x.met)).join('<br>') || '–';
    const failed = result.error ? ' (FAILED, see below)' : '';
    lines.push(
      `| ${workload?.title ?? result.id} \`${result.id}\`${failed} | ${f.length ? secs(median(walls(f))) : '–'} | ${s.length ? secs(median(walls(s))) : '–'} | ${spreadText(spread(pairRatios(walls(f), walls(s))))} | ${f.length ? mib(peak(f)) : '–'} | ${s.length ? mib(peak(s)) : '–'} | ${cpu(f)} / ${cpu(s)} | ${result.otherCores.toFixed(2)} | ${targets} | ${mets} |`,
    );
  }
  return lines;
}

function latencyTable(results: WorkloadResult[]): string[] {
  const rows = results.filter((r) => r.runs['node -e 0'] !== undefined);
  if (rows.length === 0) return [];
  const lines = [
    '',
    'Start-up latency in detail (n rounds of ferry, `skopeo inspect --raw`, `node -e 0`, in that order):',
    '',
    '| workload | ferry median ms | skopeo inspect --raw ms | node -e 0 ms | ferry/node, median (min–max; IQR) | ferry/skopeo | ferry − node ms | ferry RSS MiB |',
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const r of rows) {
    const f = walls(r.runs['ferry']);
    const s = walls(r.runs['skopeo']);
    const n = walls(r.runs['node -e 0']);
    lines.push(
      `| \`${r.id}\` (n=${f.length}) | ${median(f).toFixed(0)} | ${median(s).toFixed(0)} | ${median(n).toFixed(0)} | ${spreadText(spread(pairRatios(f, n)))} | ${ratio(median(pairRatios(f, s)))} | ${(median(f) - median(n)).toFixed(0)} | ${mib(peak(r.runs['ferry']))} |`,
    );
  }
  return lines;
}

function limitsSection(limits: LimitResult[], results: WorkloadResult[]): string[] {
  if (limits.length === 0)
    return ['', '## Limits', '', 'Not measured in this run (`--only` without `limits`).'];
  const lines = [
    '',
    '## Limits (same run, same machine)',
    '',
    '| limit | median wall s (min–max) | MiB/s | in-process ms (hash only) | command |',
    '|---|---|---|---|---|',
  ];
  for (const l of limits) {
    const w = walls(l.runs as RunRecord[]);
    const s = spread(w);
    const inner = l.innerMs && l.innerMs.length > 0 ? median(l.innerMs) : undefined;
    const rateMs = inner ?? s.median;
    lines.push(
      `| ${l.title} | ${secs(s.median)} (${secs(s.min)}–${secs(s.max)}) | ${(l.bytes / MiB / (rateMs / 1000)).toFixed(0)}${inner ? ' (in-process)' : ''} | ${inner ? inner.toFixed(0) : '–'} | \`${l.command}\` |`,
    );
  }
  const ingest = limitMedianMs(limits, 'ingest');
  const egress = limitMedianMs(limits, 'egress');
  const copy = results.find((r) => r.id === 'copy-1g');
  const skopeoCopy = copy ? median(walls(copy.runs['skopeo'])) : Number.NaN;
  const ferryCopy = copy ? median(walls(copy.runs['ferry'])) : Number.NaN;
  const hashInner = limits.find((l) => l.id === 'sha256-file')?.innerMs;
  lines.push('');
  if (ingest !== undefined && Number.isFinite(ferryCopy)) {
    lines.push(
      `ferry's 1 GiB copy reaches **${((ingest / ferryCopy) * 100).toFixed(0)}%** of the registry's ingest limit (curl PUT ${secs(ingest)} s vs ferry copy ${secs(ferryCopy)} s; target ≥ 91%, i.e. within 10%); skopeo reaches ${((ingest / skopeoCopy) * 100).toFixed(0)}% (${secs(skopeoCopy)} s).`,
    );
    if (egress !== undefined)
      lines.push(
        `A copy can be no faster than max(ingest, egress) = ${secs(Math.max(ingest, egress))} s when download and upload overlap fully; ferry spends ${secs(ferryCopy - ingest)} s more than the ingest alone.`,
      );
  }
  if (hashInner && hashInner.length > 0 && Number.isFinite(ferryCopy)) {
    const hashMs = median(hashInner);
    lines.push(
      `One sha256 pass over the blob costs ${secs(hashMs)} s of one core here (${((hashMs / ferryCopy) * 100).toFixed(0)}% of ferry's copy time); every extra pass per byte costs that again on the same single JS thread.`,
    );
  }
  return lines;
}

function behindSection(verdicts: Verdict[], results: WorkloadResult[]): string[] {
  const lines = ['', '## Where ferry is behind', ''];
  const missed = verdicts.filter((v) => v.met === false);
  const failed = results.filter((r) => r.error);
  if (missed.length === 0 && failed.length === 0) {
    lines.push('Every target measured in this run was met.');
    return lines;
  }
  for (const v of missed) lines.push(`- \`${v.workload}\`: target ${v.target}, measured **${v.value}**.`);
  for (const r of failed) lines.push(`- \`${r.id}\` did not complete: ${r.error?.split('\n')[0]}`);
  lines.push('', 'See bench/PROFILE.md for where the time goes and the proposed changes.');
  return lines;
}

const requestText = (counts: Record<string, number>[]): string => {
  const methods = [...new Set(counts.flatMap((c) => Object.keys(c)))].sort();
  if (methods.length === 0) return '–';
  return methods.map((m) => `${m} ${median(counts.map((c) => c[m] ?? 0))}`).join(', ');
};

function detailSection(result: WorkloadResult): string[] {
  const names = Object.keys(result.runs);
  const lines = ['', `### \`${result.id}\`: ${result.title}`, ''];
  if (result.error) lines.push('**Failed:**', '', '```', result.error.slice(0, 2000), '```', '');
  lines.push('```sh');
  for (const name of names) if (result.commands[name]) lines.push(`${result.commands[name]}`);
  lines.push('```', '');
  const n = Math.max(0, ...names.map((name) => result.runs[name]?.length ?? 0));
  if (n === 0) return lines;
  lines.push(
    `| round | ${names.map((x) => `${x} s`).join(' | ')} | ratio ferry/${names[1]} | ${names.map((x) => `${x} RSS MiB`).join(' | ')} | ${names.map((x) => `${x} CPU s`).join(' | ')} |`,
    `|${'---|'.repeat(2 + names.length * 3)}`,
  );
  for (let i = 0; i < n; i++) {
    const cells = names.map((name) => result.runs[name]?.[i]);
    const f = cells[0];
    const s = cells[1];
    lines.push(
      `| ${i + 1} | ${cells.map((c) => (c ? secs(c.wallMs) : '–')).join(' | ')} | ${f && s ? ratio(f.wallMs / s.wallMs) : '–'} | ${cells.map((c) => (c ? mib(c.maxRssKiB) : '–')).join(' | ')} | ${cells.map((c) => (c && c.userS !== undefined && c.sysS !== undefined ? (c.userS + c.sysS).toFixed(2) : '–')).join(' | ')} |`,
    );
  }
  const counted = names.some((name) =>
    (result.runs[name] ?? []).some(
      (r) => Object.keys(r.dstRequests).length + Object.keys(r.srcRequests).length > 0,
    ),
  );
  if (counted) {
    lines.push('', "Registry requests per run (median, from the registries' access logs):", '');
    for (const name of names) {
      const runs = result.runs[name] ?? [];
      lines.push(
        `- ${name}: source ${requestText(runs.map((r) => r.srcRequests))}; destination ${requestText(runs.map((r) => r.dstRequests))}`,
      );
    }
  }
  lines.push(
    '',
    `Other processes used ${result.otherCores.toFixed(2)} cores on average during this workload (load average before ${loads(result.load.before)}, after ${loads(result.load.after)}); ${result.seconds.toFixed(0)} s for this workload.`,
  );
  return lines;
}

/** How busy the machine was with other work: measured per workload (runner.ts), summed up here. */
function loadLine(info: RunInfo, results: WorkloadResult[]): string {
  const m = info.machine;
  const others = results.map((r) => r.otherCores);
  const mean = others.length ? others.reduce((a, b) => a + b, 0) / others.length : m.otherCores;
  const worst = results.reduce<WorkloadResult | undefined>(
    (w, r) => (!w || r.otherCores > w.otherCores ? r : w),
    undefined,
  );
  const busy = mean > 0.1 || (worst?.otherCores ?? 0) > 0.3;
  return [
    `Other processes (not the benchmark, its registries or the clients it measured) used **${mean.toFixed(2)} of ${m.cores} cores** on average during the workloads`,
    worst ? ` (most during \`${worst.id}\`: ${worst.otherCores.toFixed(2)})` : '',
    `; load average ${loads(m.loadAtStart)} at start, ${loads(info.loadAtEnd)} at end. `,
    busy
      ? '**The machine was shared**: absolute times are inflated and noisy; the pair-by-pair ratios and the CPU seconds are the steadier numbers.'
      : 'The machine was otherwise quiet.',
  ].join('');
}

export function renderReport(
  info: RunInfo,
  results: WorkloadResult[],
  workloads: Workload[],
  limits: LimitResult[],
): string {
  const m = info.machine;
  const verdicts = judge(results, workloads, limits);
  const lines = [
    '# ferry vs skopeo: benchmark results',
    '',
    `Generated by \`npm run bench${info.argv.length ? ` -- ${info.argv.join(' ')}` : ''}\` on ${info.started.toISOString()} (${info.mode}); the run took **${(info.seconds / 60).toFixed(1)} min**.`,
    loadLine(info, results),
    '',
    '## Machine',
    '',
    '| | |',
    '|---|---|',
    `| CPU | ${m.cpu}, ${m.cores} cores |`,
    `| memory | ${m.memoryGiB} GiB; /dev/shm free at start ${m.shmFreeGiB} GiB |`,
    `| OS, kernel | ${m.os}, Linux ${m.kernel} |`,
    `| Node | ${m.node}; NODE_EXTRA_CA_CERTS ${m.extraCaCerts ? `set (${m.extraCaCerts})` : 'unset'} |`,
    `| ferry | ${m.ferry}, the esbuild bundle run as \`node bin/ferry.js\` |`,
    `| skopeo | ${m.skopeo} |`,
    `| registry | ${m.registry} (two instances on 127.0.0.1, plain HTTP, storage on /dev/shm) |`,
    `| curl, time | ${m.curl}; ${m.gnuTime} |`,
    `| peak RSS from | ${m.rssMethod} |`,
    `| busy at start (CPU over 1 s) | ${m.busiest.map((b) => `\`${b.replaceAll('|', '\\|').replaceAll('`', "'")}\``).join('<br>')} |`,
    '',
    '## Method',
    '',
    '- Two Distribution registries on 127.0.0.1 (plain HTTP, `log.level: info` so every request is in the access log), storage on /dev/shm. The source holds deterministic OCI images (AES-CTR keystream layers: incompressible; gzip level 0) pushed by bench/seed.ts. **Every measured run gets a fresh, empty destination registry** (stopped, storage removed, restarted), so each copy is cold.',
    '- Contenders alternate within a round, always in the same order (ferry, skopeo[, node -e 0]): A B A B …; the ratio ferry/skopeo is taken pair by pair, then its median and spread (min–max and interquartile range). Wall time is measured around the process by the benchmark (`/usr/bin/time` adds about 1 ms to both sides); peak RSS and CPU seconds come from GNU time.',
    '- Both clients run with the same environment: `DOCKER_CONFIG` and `REGISTRY_AUTH_FILE` pointing at empty/missing files, `TMPDIR` on /dev/shm (skopeo stages oci-archive exports there), proxies unset. Neither gets `--quiet`; their stderr goes to a pipe (not a TTY).',
    '- Push inputs are made once by skopeo from the 1 GiB image (`docker-archive:` with the layer uncompressed, as `docker save` writes; `oci-archive:` with the blob as is), so both clients push the same bytes.',
    '',
    '## Results',
    '',
    ...summaryTable(results, workloads, verdicts),
    ...latencyTable(results),
    ...limitsSection(limits, results),
    ...behindSection(verdicts, results),
    '',
    '## Every run',
    ...results.flatMap(detailSection),
    '',
  ];
  return `${lines.join('\n')}\n`;
}
