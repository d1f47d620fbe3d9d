/**
 * The benchmark's scratch space on tmpfs, and the guarantee that it goes away: at the end, on an
 * error, and on Ctrl-C / SIGTERM (the registries die with us through the harness's setpriv
 * --pdeathsig; measured client processes are killed here). Work dirs left by a benchmark that
 * was SIGKILLed are removed at the next start, when their process no longer exists.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { killGroup, running } from './measure.js';

const ROOT = '/dev/shm';
const PREFIX = 'ferry-bench-';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes /dev/shm/ferry-bench-<pid> dirs whose benchmark process is gone; returns their names. */
export function removeStale(): string[] {
  const removed: string[] = [];
  for (const name of readdirSync(ROOT)) {
    if (!name.startsWith(PREFIX)) continue;
    const pid = Number(name.slice(PREFIX.length));
    if (Number.isInteger(pid) && pid !== process.pid && !alive(pid)) {
      rmSync(join(ROOT, name), { recursive: true, force: true });
      removed.push(name);
    }
  }
  return removed;
}

let current: string | undefined;

function killClients(): void {
  for (const child of running) killGroup(child);
  running.clear();
}

/**
 * SIGKILL to every direct child (the registries): they must stop writing into the work dir before
 * it is removed. The harness would kill them too, but in its own exit handler, after this one.
 */
function killChildren(): void {
  for (const name of readdirSync('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid)) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === process.pid) process.kill(pid, 'SIGKILL');
    } catch {
      // gone meanwhile
    }
  }
}

function removeNow(dir: string): void {
  try {
    // Retries: a killed registry's last write can still land while the tree is being removed.
    rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 50 });
  } catch (err) {
    process.stderr.write(`bench: could not remove ${dir}: ${(err as Error).message}\n`);
  }
}

/** Makes /dev/shm/ferry-bench-<pid> and arranges for its removal however the process ends. */
export function makeWorkDir(): string {
  current = join(ROOT, `${PREFIX}${process.pid}`);
  mkdirSync(current, { recursive: true });
  process.on('exit', () => {
    killClients();
    if (current) {
      killChildren();
      removeNow(current);
    }
  });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      process.stderr.write(`\nbench: ${signal}, cleaning up\n`);
      // exit runs the 'exit' handlers: clients killed, registries killed (harness), dirs removed.
      process.exit(130);
    });
  }
  return current;
}

/** Removes the work dir now (the normal end of a run). */
export function removeWorkDir(): void {
  if (current) removeNow(current);
  current = undefined;
}
