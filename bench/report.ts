/**
 * bench/RESULTS.md from a run: the machine, the exact commands, one summary row per workload
 * (medians, pair-by-pair ratio with its spread, peak RSS, target, met?), the limits and ferry's
 * fraction of them, where ferry is behind, then every run's numbers and request counts.
 */
import type { LimitResult } from './limits.js';
import type { Machine } from './machine.js';
import type { RunRecord, WorkloadResult } from './runner.js';
import { median, pairRatios, type Spread, spread } from './stats.js';
import { PROTOCOL_RULES, type Target, type Workload } from './workloads.js';

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
const cpuOf = (r: RunRecord | undefined): number | undefined =>
  r === undefined || r.userS === undefined || r.sysS === undefined ? undefined : r.userS + r.sysS;
/** Median CPU seconds (user + sys) of the client process: steadier than wall time on a busy machine. */
const cpu = (runs: RunRecord[] | undefined): string => {
  const values = (runs ?? []).flatMap((r) => {
    const c = cpuOf(r);
    return c === undefined ? [] : [c];
  });
  return values.length ? median(values).toFixed(2) : '–';
};
const peak = (runs: RunRecord[] | undefined): number => Math.max(0, ...(runs ?? []).map((r) => r.maxRssKiB));
const NODE_START = 'node -e 0';
/** The clients of a result (ferry first), without the `node -e 0` reference. */
const clients = (result: WorkloadResult): string[] =>
  Object.keys(result.runs).filter((name) => name !== NODE_START);
const others = (result: WorkloadResult): string[] => clients(result).filter((name) => name !== 'ferry');

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
    for (const target of workload.targets) verdicts.push(judgeOne(result, target, limits, results));
  }
  return verdicts;
}

/** Per round, f(ferry's run, the other contender's run, node's run), where all the needed numbers exist. */
function perRound(
  result: WorkloadResult,
  versus: string | undefined,
  f: (ferry: number, other: number | undefined, node: number) => number | undefined,
): number[] {
  const ferry = result.runs['ferry'] ?? [];
  const out: number[] = [];
  for (let i = 0; i < ferry.length; i++) {
    const fc = cpuOf(ferry[i]);
    const nc = cpuOf(result.runs[NODE_START]?.[i]);
    const oc = versus === undefined ? undefined : cpuOf(result.runs[versus]?.[i]);
    if (fc === undefined || nc === undefined || (versus !== undefined && oc === undefined)) continue;
    const v = f(fc, oc, nc);
    if (v !== undefined && Number.isFinite(v)) out.push(v);
  }
  return out;
}

function judgeOne(
  result: WorkloadResult,
  target: Target,
  limits: LimitResult[],
  results: WorkloadResult[],
): Verdict {
  const ferry = result.runs['ferry'] ?? [];
  const origin = target.origin === 'earlier' ? '' : ` (#${target.origin.slice('issue '.length)})`;
  const verdict = (t: string, value: string, met: boolean | undefined): Verdict => ({
    workload: result.id,
    target: `${t}${origin}`,
    value,
    met,
  });
  switch (target.kind) {
    case 'ratio': {
      const t = `ferry/${target.versus} ≤ ${target.max}`;
      const r = pairRatios(walls(ferry), walls(result.runs[target.versus]));
      if (r.length === 0) return verdict(t, 'not measured', undefined);
      const m = median(r);
      return verdict(t, ratio(m), m <= target.max);
    }
    case 'cpu-over-node': {
      const t = `(ferry − node) CPU / ${target.versus} CPU ≤ ${target.max}`;
      // A round where the other client used no measurable CPU (GNU time counts in 10 ms) says nothing.
      const r = perRound(result, target.versus, (f, o, n) => (o ? (f - n) / o : undefined));
      if (r.length === 0) return verdict(t, 'not measured', undefined);
      const m = median(r);
      return verdict(t, ratio(m), m <= target.max);
    }
    case 'cpu-over-node-ms': {
      const t = `ferry CPU − node CPU ≤ ${target.maxMs} ms`;
      const r = perRound(result, undefined, (f, _o, n) => (f - n) * 1000);
      if (r.length === 0) return verdict(t, 'not measured', undefined);
      const m = median(r);
      return verdict(t, `${m.toFixed(0)} ms`, m <= target.maxMs);
    }
    case 'rss': {
      const t = `ferry peak RSS ≤ ${target.maxMiB} MiB`;
      if (ferry.length === 0) return verdict(t, 'not measured', undefined);
      const p = peak(ferry) / 1024;
      return verdict(t, `${p.toFixed(0)} MiB`, p <= target.maxMiB);
    }
    case 'rss-flat': {
      const t = `ferry peak RSS ≤ ${(1 + target.slack).toFixed(2)} × its peak in \`${target.versus}\``;
      const base = results.find((r) => r.id === target.versus)?.runs['ferry'] ?? [];
      if (ferry.length === 0 || base.length === 0) return verdict(t, 'not measured', undefined);
      const f = peak(ferry) / peak(base);
      return verdict(
        t,
        `${(peak(ferry) / 1024).toFixed(0)} vs ${(peak(base) / 1024).toFixed(0)} MiB (${f.toFixed(2)} ×)`,
        f <= 1 + target.slack,
      );
    }
    case 'ingest': {
      const t = `within ${target.slack * 100}% of registry ingest (curl PUT)`;
      const limit = limitMedianMs(limits, 'ingest');
      if (ferry.length === 0 || limit === undefined) return verdict(t, 'not measured', undefined);
      const f = median(walls(ferry)) / limit;
      return verdict(t, `${f.toFixed(2)} × curl's time`, f <= 1 + target.slack);
    }
  }
}

const met = (v: boolean | undefined): string => (v === undefined ? '–' : v ? 'yes' : '**no**');

/** `a / b / c` of one figure over the clients (and `node -e 0` when it ran). */
const slashed = (
  result: WorkloadResult,
  names: string[],
  figure: (runs: RunRecord[] | undefined) => string,
): string => names.map((n) => figure(result.runs[n])).join(' / ');

const shortSpread = (s: Spread): string =>
  s.n === 0
    ? '–'
    : s.n === 1
      ? `**${ratio(s.median)}**`
      : `**${ratio(s.median)}** (${ratio(s.min)}–${ratio(s.max)})`;

function summaryTable(results: WorkloadResult[], workloads: Workload[], verdicts: Verdict[]): string[] {
  const lines = [
    'Wall time, RSS and CPU are medians (peak RSS: the highest run); ratios are taken round by round, then their median (min–max over rounds).',
    '',
    '| workload | median wall s ferry / crane / skopeo | ferry/crane | ferry/skopeo | peak RSS MiB ferry / crane / skopeo | CPU s ferry / crane / skopeo [/ node -e 0] | other load (cores) | target | met? |',
    '|---|---|---|---|---|---|---|---|---|',
  ];
  for (const result of results) {
    const workload = workloads.find((w) => w.id === result.id);
    const names = clients(result);
    const withNode = result.runs[NODE_START] ? [...names, NODE_START] : names;
    const f = result.runs['ferry'] ?? [];
    const ratioTo = (name: string): string =>
      result.runs[name] ? shortSpread(spread(pairRatios(walls(f), walls(result.runs[name])))) : '–';
    const v = verdicts.filter((x) => x.workload === result.id);
    const targetText = v.map((x) => `${x.target}: ${x.value}`).join('<br>') || '–';
    const mets = v.map((x) => met(x.met)).join('<br>') || '–';
    const failed = result.error ? ' (FAILED, see below)' : '';
    lines.push(
      `| ${workload?.title ?? result.id} \`${result.id}\`${failed} | ${slashed(result, names, (r) => (r?.length ? secs(median(walls(r))) : '–'))} | ${ratioTo('crane')} | ${ratioTo('skopeo')} | ${slashed(result, names, (r) => (r?.length ? mib(peak(r)) : '–'))} | ${slashed(result, withNode, cpu)} | ${result.otherCores.toFixed(2)} | ${targetText} | ${mets} |`,
    );
  }
  return lines;
}

function latencyTable(results: WorkloadResult[]): string[] {
  const rows = results.filter((r) => r.runs[NODE_START] !== undefined && r.id.match(/^(digest|exists)/));
  if (rows.length === 0) return [];
  const lines = [
    '',
    'Start-up latency in detail (n rounds of ferry, `crane digest`, `skopeo inspect --raw`, `node -e 0`, in that order; CPU from GNU time, in steps of 10 ms):',
    '',
    '| workload | ferry ms | crane ms | skopeo ms | node -e 0 ms | ferry/node, median (min–max; IQR) | ferry − node ms | ferry CPU − node CPU ms | ferry RSS MiB |',
    '|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of rows) {
    const f = walls(r.runs['ferry']);
    const n = walls(r.runs[NODE_START]);
    const cpuOver = perRound(r, undefined, (fc, _o, nc) => (fc - nc) * 1000);
    const ms = (name: string): string => (r.runs[name] ? median(walls(r.runs[name])).toFixed(0) : '–');
    lines.push(
      `| \`${r.id}\` (n=${f.length}) | ${ms('ferry')} | ${ms('crane')} | ${ms('skopeo')} | ${ms(NODE_START)} | ${spreadText(spread(pairRatios(f, n)))} | ${(median(f) - median(n)).toFixed(0)} | ${cpuOver.length ? median(cpuOver).toFixed(0) : '–'} | ${mib(peak(r.runs['ferry']))} |`,
    );
  }
  return lines;
}

/** Per run through the proxies: (its wall − its direct twin's wall) / RTT. */
const roundTrips = (runs: RunRecord[] | undefined, rttMs: number): number[] =>
  (runs ?? []).flatMap((r) => (r.direct ? [(r.wallMs - r.direct.wallMs) / rttMs] : []));

/** Requests of one run, source and destination together. */
const requestTotal = (r: RunRecord): number =>
  [...Object.values(r.srcRequests), ...Object.values(r.dstRequests)].reduce((a, b) => a + b, 0);

/**
 * Requests against the protocol's fewest, and round trips on the critical path estimated from
 * the latency proxies: (median wall through them − median wall of the same loopback workload) / RTT.
 */
function roundTripSection(results: WorkloadResult[], workloads: Workload[]): string[] {
  const rows = results.filter((r) => workloads.find((w) => w.id === r.id)?.protocol);
  if (rows.length === 0) return [];
  const lines = [
    '',
    '## Requests and round trips against the protocol',
    '',
    "Requests: median per run, source and destination together, from the registries' access logs. " +
      'Round trips on the critical path, for the workloads through the latency proxies: every run through them has a twin ' +
      'run straight to the registries just before it (same command, fresh destination); the estimate is the median over ' +
      'rounds of (wall through the proxies − wall of the twin) / RTT. ' +
      'The proxies add RTT/2 to every chunk each way and one RTT to every new connection (TCP set-up), ' +
      'so the estimate counts the sequential request/answer exchanges and connection set-ups; transfer time and CPU cancel out ' +
      'to the extent they are the same on both sides (on a loaded machine the estimate is ±1–2). ' +
      'Connections: TCP connections the client opened through the proxies, source + destination.',
    '',
    '| workload | fewest requests | requests ferry / crane / skopeo | fewest round trips | est. round trips ferry / crane / skopeo | connections ferry / crane / skopeo |',
    '|---|---|---|---|---|---|',
  ];
  const notes: string[] = [];
  for (const result of rows) {
    const workload = workloads.find((w) => w.id === result.id);
    const protocol = workload?.protocol;
    if (!workload || !protocol) continue;
    const names = clients(result);
    const requests = slashed(result, names, (runs) =>
      runs?.length && runs.some((r) => requestTotal(r) > 0) ? String(median(runs.map(requestTotal))) : '–',
    );
    const rtt = workload.rttMs;
    const trips = rtt
      ? slashed(result, names, (runs) => {
          const est = roundTrips(runs, rtt);
          return est.length ? median(est).toFixed(1) : '–';
        })
      : '–';
    const connections = rtt
      ? slashed(result, names, (runs) => {
          const counted = (runs ?? []).flatMap((r) =>
            r.connections ? [r.connections.src + r.connections.dst] : [],
          );
          return counted.length ? String(median(counted)) : '–';
        })
      : '–';
    lines.push(
      `| \`${result.id}\` | ${protocol.requests} | ${requests} | ${protocol.roundTrips} | ${trips} | ${connections} |`,
    );
    if (!notes.some((n) => n.endsWith(protocol.why))) notes.push(`- \`${result.id}\`: ${protocol.why}`);
  }
  if (notes.length > 0)
    lines.push(
      '',
      'The fewest, and why (anonymous registries, plain HTTP, an empty destination):',
      '',
      PROTOCOL_RULES,
      '',
      ...notes,
    );
  return lines;
}

function limitsSection(limits: LimitResult[], results: WorkloadResult[], workloads: Workload[]): string[] {
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
  const ferryCopy = copy ? median(walls(copy.runs['ferry'])) : Number.NaN;
  const slack =
    workloads
      .find((w) => w.id === 'copy-1g')
      ?.targets.flatMap((t) => (t.kind === 'ingest' ? [t.slack] : []))[0] ?? 0.1;
  const hashInner = limits.find((l) => l.id === 'sha256-file')?.innerMs;
  lines.push('');
  if (ingest !== undefined && copy && Number.isFinite(ferryCopy)) {
    const reach = (name: string): string => {
      const t = median(walls(copy.runs[name]));
      return Number.isFinite(t) ? `${name} reaches ${((ingest / t) * 100).toFixed(0)}% (${secs(t)} s)` : '';
    };
    lines.push(
      `ferry's 1 GiB copy reaches **${((ingest / ferryCopy) * 100).toFixed(0)}%** of the registry's ingest limit (curl PUT ${secs(ingest)} s vs ferry copy ${secs(ferryCopy)} s; target ≥ ${(100 / (1 + slack)).toFixed(0)}%, i.e. within ${(slack * 100).toFixed(0)}%); ${others(copy).map(reach).filter(Boolean).join(', ')}.`,
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
  lines.push('', 'See bench/PROFILE.md for where the time and the requests go, and the proposed changes.');
  return lines;
}

const requestText = (counts: Record<string, number>[]): string => {
  const methods = [...new Set(counts.flatMap((c) => Object.keys(c)))].sort();
  if (methods.length === 0) return '–';
  return methods.map((m) => `${m} ${median(counts.map((c) => c[m] ?? 0))}`).join(', ');
};

function detailSection(result: WorkloadResult, workload: Workload | undefined): string[] {
  const rtt = workload?.rttMs ?? 1;
  const names = Object.keys(result.runs);
  const versus = names.filter((n) => n !== 'ferry');
  const lines = ['', `### \`${result.id}\`: ${result.title}`, ''];
  if (result.error) lines.push('**Failed:**', '', '```', result.error.slice(0, 2000), '```', '');
  lines.push('```sh');
  for (const name of names) if (result.commands[name]) lines.push(`${result.commands[name]}`);
  lines.push('```', '');
  const n = Math.max(0, ...names.map((name) => result.runs[name]?.length ?? 0));
  if (n === 0) return lines;
  lines.push(
    `| round | ${names.map((x) => `${x} s`).join(' | ')} | ${versus.map((x) => `ferry/${x}`).join(' | ')} | ${names.map((x) => `${x} RSS MiB`).join(' | ')} | ${names.map((x) => `${x} CPU s`).join(' | ')} |`,
    `|${'---|'.repeat(1 + names.length * 4 - 1)}`,
  );
  for (let i = 0; i < n; i++) {
    const cells = names.map((name) => result.runs[name]?.[i]);
    const f = result.runs['ferry']?.[i];
    lines.push(
      `| ${i + 1} | ${cells.map((c) => (c ? secs(c.wallMs) : '–')).join(' | ')} | ${versus
        .map((x) => {
          const o = result.runs[x]?.[i];
          return f && o ? ratio(f.wallMs / o.wallMs) : '–';
        })
        .join(' | ')} | ${cells.map((c) => (c ? mib(c.maxRssKiB) : '–')).join(' | ')} | ${cells
        .map((c) => {
          const v = cpuOf(c);
          return v === undefined ? '–' : v.toFixed(2);
        })
        .join(' | ')} |`,
    );
  }
  const counted = names.some((name) =>
    (result.runs[name] ?? []).some(
      (r) => Object.keys(r.dstRequests).length + Object.keys(r.srcRequests).length > 0,
    ),
  );
  if (counted) {
    lines.push('', "Registry requests per run (median, from the registries' access logs):", '');
    for (const name of clients(result)) {
      const runs = result.runs[name] ?? [];
      const connections = runs.flatMap((r) => (r.connections ? [r.connections] : []));
      const through = connections.length
        ? `; connections through the proxies: source ${median(connections.map((c) => c.src))}, destination ${median(connections.map((c) => c.dst))}`
        : '';
      const twins = runs.flatMap((r) => (r.direct ? [r.direct.wallMs] : []));
      const twinText = twins.length
        ? `; twin runs straight to the registries: median ${secs(median(twins))} s, round trips per round ${runs
            .flatMap((r) => (r.direct ? [((r.wallMs - r.direct.wallMs) / rtt).toFixed(1)] : []))
            .join(', ')}`
        : '';
      lines.push(
        `- ${name}: source ${requestText(runs.map((r) => r.srcRequests))}; destination ${requestText(runs.map((r) => r.dstRequests))}${through}${twinText}`,
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
    '# ferry vs crane and skopeo: benchmark results',
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
    `| crane | ${m.crane}, run as \`crane --insecure …\` |`,
    `| skopeo | ${m.skopeo} |`,
    `| registry | ${m.registry} (two instances on 127.0.0.1, plain HTTP, storage on /dev/shm) |`,
    `| curl, time | ${m.curl}; ${m.gnuTime} |`,
    `| peak RSS from | ${m.rssMethod} |`,
    `| busy at start (CPU over 1 s) | ${m.busiest.map((b) => `\`${b.replaceAll('|', '\\|').replaceAll('`', "'")}\``).join('<br>')} |`,
    '',
    '## Method',
    '',
    '- Two Distribution registries on 127.0.0.1 (plain HTTP, `log.level: info` so every request is in the access log), storage on /dev/shm. The source holds deterministic OCI images (AES-CTR keystream layers: incompressible; gzip level 0) pushed by bench/seed.ts. **Every measured run gets a fresh, empty destination registry** (stopped, storage removed, restarted), so each copy is cold.',
    "- Contenders run in rounds, always in the same order (ferry, crane, skopeo[, `node -e 0`]): A B C A B C …; the ratios ferry/crane and ferry/skopeo are taken round by round (the runs of a round are seconds apart, so a slow drift of the machine's load cancels out), then their median and spread. `node -e 0` runs where a target subtracts Node's bare start-up (the latency rows; CPU beyond Node in the small copies). Wall time is measured around the process by the benchmark (`/usr/bin/time` adds about 1 ms to every side); peak RSS and CPU seconds (user + sys, in steps of 10 ms) come from GNU time.",
    '- Every client runs with the same environment: `DOCKER_CONFIG` and `REGISTRY_AUTH_FILE` pointing at empty/missing files, `TMPDIR` on /dev/shm (skopeo stages oci-archive exports there), proxies unset. None gets `--quiet`; stderr goes to a pipe (not a TTY).',
    `- The \`-rtt40\` workloads run the same commands through two latency proxies of the benchmark's own (bench/latency-proxy.ts: a child process of the benchmark, 127.0.0.1 only, ${m.root ? 'at nice −10, so that a busy machine does not delay its timers' : "at the benchmark's own priority (not root; on a busy machine its timers fire late and add to the round trips)"}), one in front of each registry: every chunk waits 20 ms each way and every new connection one round trip more, as TCP's handshake costs (no netem on this kernel). In the commands, PSRC and PDST are those proxies.`,
    '- Push inputs are made once by skopeo from the 1 GiB image (`docker-archive:` with the layer uncompressed, as `docker save` writes; `oci-archive:` with the blob as is), so every client pushes the same bytes; crane, which reads no OCI tarball, pushes that archive unpacked into an OCI layout directory.',
    "- Targets marked (#10) are issue 10's; the others are from the benchmark's first issue, kept where issue 10 sets none.",
    '',
    '## Results',
    '',
    ...summaryTable(results, workloads, verdicts),
    ...latencyTable(results),
    ...roundTripSection(results, workloads),
    ...limitsSection(limits, results, workloads),
    ...behindSection(verdicts, results),
    '',
    '## Every run',
    ...results.flatMap((r) =>
      detailSection(
        r,
        workloads.find((w) => w.id === r.id),
      ),
    ),
    '',
  ];
  return `${lines.join('\n')}\n`;
}
