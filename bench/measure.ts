/**
 * Runs one client process and measures it: wall time from our own clock around the process
 * (/usr/bin/time's "Elapsed" has only 10 ms resolution, too coarse for `digest`), and peak RSS
 * plus CPU seconds from GNU time's `-v` report (the kernel's wait4 rusage of that process).
 *
 * Without /usr/bin/time the fallback samples the child's VmHWM (the kernel's own RSS high-water
 * mark) from /proc every 10 ms; the last sample before exit is a lower bound of the peak, and
 * CPU seconds are then unknown. The report says which method was used.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { open, readFile, rm } from 'node:fs/promises';

export const GNU_TIME = '/usr/bin/time';

export type RssMethod = 'gnu-time' | 'vmhwm-sampling';

export function rssMethod(): RssMethod {
  return existsSync(GNU_TIME) ? 'gnu-time' : 'vmhwm-sampling';
}

export interface Command {
  /** Executable (absolute or on PATH). */
  cmd: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  /** Where the process's stdout goes (a file path); default: discarded. */
  stdoutFile?: string;
}

export interface Measurement {
  wallMs: number;
  /** Peak resident set size of the measured process, KiB. */
  maxRssKiB: number;
  userS: number | undefined;
  sysS: number | undefined;
  exitCode: number;
  /** The last lines the process wrote to stderr (for failures). */
  stderrTail: string;
}

/** Processes in flight, killed if the benchmark is interrupted. */
export const running = new Set<ChildProcess>();

/** SIGKILL to the child's whole process group (GNU time and the client it runs). */
export function killGroup(child: ChildProcess): void {
  try {
    if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

function parseTimeReport(text: string): { rss: number; user?: number; sys?: number; status?: number } {
  const field = (name: string): string | undefined =>
    new RegExp(`^\\s*${name}:\\s*(.+)$`, 'm').exec(text)?.[1]?.trim();
  const rss = Number(field('Maximum resident set size \\(kbytes\\)'));
  const user = Number(field('User time \\(seconds\\)'));
  const sys = Number(field('System time \\(seconds\\)'));
  const status = Number(field('Exit status'));
  return {
    rss: Number.isFinite(rss) ? rss : 0,
    ...(Number.isFinite(user) ? { user } : {}),
    ...(Number.isFinite(sys) ? { sys } : {}),
    ...(Number.isFinite(status) ? { status } : {}),
  };
}

async function readVmHwm(pid: number): Promise<number | undefined> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const m = /^VmHWM:\s+(\d+) kB/m.exec(status);
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** Runs `command` to completion and measures it. `reportFile` is a scratch path for GNU time. */
export async function measure(
  command: Command,
  reportFile: string,
  timeoutMs = 600_000,
): Promise<Measurement> {
  const method = rssMethod();
  const [file, args] =
    method === 'gnu-time'
      ? [GNU_TIME, ['-v', '-o', reportFile, command.cmd, ...command.args]]
      : [command.cmd, command.args];
  const out = command.stdoutFile ? await open(command.stdoutFile, 'w') : undefined;
  let stderr = '';
  const started = performance.now();
  // Its own process group, so an interrupted benchmark can kill /usr/bin/time and the client under
  // it together (workdir.ts), not leave the client copying into a registry that is gone.
  const child = spawn(file, args, {
    env: command.env,
    stdio: ['ignore', out ? out.fd : 'ignore', 'pipe'],
    detached: true,
  });
  running.add(child);
  child.stderr?.setEncoding('utf8').on('data', (text: string) => {
    stderr = (stderr + text).slice(-4000);
  });
  let peak = 0;
  const sampler =
    method === 'vmhwm-sampling' && child.pid !== undefined
      ? setInterval(() => {
          void readVmHwm(child.pid as number).then((kib) => {
            if (kib !== undefined && kib > peak) peak = kib;
          });
        }, 10)
      : undefined;
  const timer = setTimeout(() => killGroup(child), timeoutMs);
  const exitCode = await new Promise<number>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  }).finally(() => {
    clearTimeout(timer);
    if (sampler) clearInterval(sampler);
    running.delete(child);
  });
  const wallMs = performance.now() - started;
  await out?.close();
  if (method === 'vmhwm-sampling') {
    return { wallMs, maxRssKiB: peak, userS: undefined, sysS: undefined, exitCode, stderrTail: stderr };
  }
  const report = await readFile(reportFile, 'utf8').catch(() => '');
  await rm(reportFile, { force: true });
  const parsed = parseTimeReport(report);
  // GNU time prints "Command exited with non-zero status N" and the report; its own exit code mirrors the child's.
  const tail = stderr.replace(/^Command (exited with non-zero status|terminated by signal) .*$/m, '').trim();
  return {
    wallMs,
    maxRssKiB: parsed.rss,
    userS: parsed.user,
    sysS: parsed.sys,
    exitCode: parsed.status ?? exitCode,
    stderrTail: tail,
  };
}
