/** What the numbers were measured on: hardware, kernel, tool versions, the build, the load. */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statfsSync } from 'node:fs';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { rssMethod } from './measure.js';

export interface Machine {
  cpu: string;
  cores: number;
  memoryGiB: number;
  os: string;
  kernel: string;
  node: string;
  skopeo: string;
  crane: string;
  registry: string;
  curl: string;
  gnuTime: string;
  ferry: string;
  shmFreeGiB: number;
  extraCaCerts: string | undefined;
  rssMethod: string;
  /** Running as root: the latency proxies get a raised priority (latency-proxy.ts). */
  root: boolean;
  loadAtStart: number[];
  /** The busiest other processes over one second when the run started (e.g. other test suites), CPU %. */
  busiest: string[];
  /** CPU used by all other processes over that second, in cores (2.0 = both cores of this machine busy). */
  otherCores: number;
}

function run(cmd: string, args: string[], cwd?: string): string {
  try {
    return execFileSync(cmd, args, {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(cwd ? { cwd } : {}),
    }).trim();
  } catch {
    return 'unavailable';
  }
}

function osName(): string {
  try {
    return /^PRETTY_NAME="?([^"\n]*)"?/m.exec(readFileSync('/etc/os-release', 'utf8'))?.[1] ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/** utime + stime ticks of every process, by pid, with its command line. */
function cpuTicks(): Map<number, { ticks: number; args: string }> {
  const out = new Map<number, { ticks: number; args: string }>();
  for (const name of readdirSync('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid)) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      // Fields after the parenthesised command: state is the 3rd field, utime the 14th, stime the 15th.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const ticks = Number(fields[11]) + Number(fields[12]);
      const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
      out.set(pid, { ticks, args: args || stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')) });
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** The five processes that used the most CPU over one second, ours left out: who else is busy. */
function busiestProcesses(): { top: string[]; cores: number } {
  const ours = new Set([process.pid, process.ppid]);
  const before = cpuTicks();
  execFileSync('sleep', ['1']);
  const after = cpuTicks();
  const ticksPerSecond = 100; // USER_HZ on Linux
  const used = [...after.entries()]
    .filter(([pid]) => !ours.has(pid))
    .map(([pid, p]) => ({
      pid,
      cpu: (p.ticks - (before.get(pid)?.ticks ?? p.ticks)) / ticksPerSecond,
      args: p.args,
    }))
    .filter((p) => p.cpu > 0)
    .sort((a, b) => b.cpu - a.cpu);
  return {
    top: used.slice(0, 5).map((p) => `${(p.cpu * 100).toFixed(0)}% ${p.args.slice(0, 100)}`),
    cores: used.reduce((sum, p) => sum + p.cpu, 0),
  };
}

export function describeMachine(repo: string, ferryVersion: string): Machine {
  const commit = run('git', ['rev-parse', '--short', 'HEAD'], repo);
  const dirty = run('git', ['status', '--porcelain', '--', 'src'], repo);
  const shm = statfsSync('/dev/shm');
  const others = busiestProcesses();
  return {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    os: osName(),
    kernel: release(),
    node: process.version,
    skopeo: run('skopeo', ['--version']),
    // Debian's crane cannot tell its own version ("could not determine build information"): ask dpkg.
    crane: `crane ${run('dpkg-query', ['-W', '-f', '$' + '{Version}', 'crane'])}`,
    registry: run('docker-registry', ['--version']),
    curl: run('curl', ['--version']).split(' ').slice(0, 2).join(' '),
    // Debian's GNU time says "UNKNOWN" for its own version: ask dpkg (${Version} is dpkg's placeholder).
    gnuTime: `GNU time ${run('dpkg-query', ['-W', '-f', '$' + '{Version}', 'time'])}`,
    ferry: `${ferryVersion} (git ${commit}${dirty && dirty !== 'unavailable' ? ', src/ has uncommitted changes' : ''})`,
    shmFreeGiB: Math.round(((shm.bavail * shm.bsize) / 2 ** 30) * 10) / 10,
    extraCaCerts: process.env['NODE_EXTRA_CA_CERTS'],
    rssMethod:
      rssMethod() === 'gnu-time'
        ? 'GNU time -v "Maximum resident set size" (wait4 rusage of the client process)'
        : 'VmHWM from /proc/PID/status sampled every 10 ms (GNU time missing; a lower bound)',
    root: process.getuid?.() === 0,
    loadAtStart: loadavg(),
    busiest: others.top,
    otherCores: Math.round(others.cores * 100) / 100,
  };
}

/** CPU seconds used so far by the whole machine, and by this process with all its descendants. */
export interface CpuSnapshot {
  at: number;
  system: number;
  ours: number;
}

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

/** utime, stime, cutime, cstime (waited-for children) and the parent pid, from /proc/PID/stat. */
function procStat(pid: number | 'self'): { ticks: number; ppid: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { ticks: Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]), ppid: Number(f[1]) };
  } catch {
    return undefined;
  }
}

/**
 * Other processes' load can only be told from ours by accounting: the machine's busy time
 * (/proc/stat) minus ours. Ours is this process plus its finished children (cutime/cstime: the
 * measured clients, via /usr/bin/time) plus its live descendants (the registries).
 */
export function cpuSnapshot(): CpuSnapshot {
  const fields = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '')
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number);
  // user nice system idle iowait irq softirq steal: everything but idle and iowait is busy.
  const busy = fields.reduce((sum, v, i) => (i === 3 || i === 4 || i > 7 ? sum : sum + (v || 0)), 0);
  const parents = new Map<number, number>();
  const ticks = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid)) continue;
    const s = procStat(pid);
    if (s) {
      parents.set(pid, s.ppid);
      ticks.set(pid, s.ticks);
    }
  }
  let ours = procStat('self')?.ticks ?? 0;
  for (const [pid, t] of ticks) {
    if (pid === process.pid) continue;
    for (let up = parents.get(pid); up !== undefined && up > 1; up = parents.get(up)) {
      if (up === process.pid) {
        // A live descendant; its own finished children are in its cutime already.
        ours += t;
        break;
      }
    }
  }
  return { at: performance.now(), system: busy / TICKS_PER_SECOND, ours: ours / TICKS_PER_SECOND };
}

/** Cores used on average by processes that are not ours between two snapshots. */
export function otherCores(from: CpuSnapshot, to: CpuSnapshot): number {
  const seconds = (to.at - from.at) / 1000;
  if (seconds <= 0) return 0;
  return Math.max(0, to.system - from.system - (to.ours - from.ours)) / seconds;
}
