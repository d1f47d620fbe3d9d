// Child processes for the harness. Every long-running child started through spawnTracked is
// killed (SIGKILL) when the test process exits or is interrupted, so registries never outlive the
// tests. runCommand is a promise-returning execFile whose errors carry the command's stderr.
import { type ChildProcess, execFile, type SpawnOptions, spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';

const live = new Set<ChildProcess>();
let hooked = false;

function killAllNow(): void {
  for (const child of live) {
    if (child.exitCode === null && child.signalCode === null) {
      try {
        child.kill('SIGKILL');
      } catch {
        // already gone
      }
    }
  }
  live.clear();
}

function hookExit(): void {
  if (hooked) return;
  hooked = true;
  process.on('exit', killAllNow);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      killAllNow();
      // With no other listener, keep the default behaviour: die of the same signal.
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    });
  }
}

let setprivPath: string | null | undefined;

/** util-linux setpriv (Essential on Debian), used for --pdeathsig; null if absent. */
function findSetpriv(): string | null {
  if (setprivPath === undefined) {
    setprivPath = null;
    for (const candidate of ['/usr/bin/setpriv', '/bin/setpriv']) {
      try {
        accessSync(candidate, constants.X_OK);
        setprivPath = candidate;
        break;
      } catch {
        // try the next one
      }
    }
  }
  return setprivPath;
}

/**
 * spawn(), plus: the child is killed when this process exits or is interrupted. Where util-linux
 * `setpriv` exists, the command is exec'd through `setpriv --pdeathsig KILL`, so the kernel kills
 * it even if this process dies without running exit handlers (SIGKILL, crash). The pid is the
 * command's own (setpriv execs it).
 */
export function spawnTracked(command: string, args: readonly string[], options: SpawnOptions): ChildProcess {
  hookExit();
  const setpriv = findSetpriv();
  const child = setpriv
    ? spawn(setpriv, ['--pdeathsig', 'KILL', '--', command, ...args], options)
    : spawn(command, args, options);
  live.add(child);
  child.once('exit', () => live.delete(child));
  return child;
}

/** Resolves once the child has exited (immediately if it already has). */
export function waitForExit(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves when the child is gone. */
export async function stopProcess(child: ChildProcess, graceMs = 2000): Promise<void> {
  const exited = waitForExit(child);
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), graceMs);
  });
  const outcome = await Promise.race([exited.then(() => 'exited' as const), timeout]);
  clearTimeout(timer);
  if (outcome === 'timeout') {
    child.kill('SIGKILL');
    await exited;
  }
}

export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
  input?: string | Buffer;
}

export interface RunResult {
  stdout: Buffer;
  stderr: string;
}

/** Error of a command that failed; `stderr` holds what the command printed there. */
export class CommandError extends Error {
  override readonly name = 'CommandError';
  constructor(
    readonly command: string,
    readonly args: readonly string[],
    readonly exitCode: number | null,
    readonly stderr: string,
    readonly stdout: Buffer,
    cause?: unknown,
  ) {
    const status = exitCode === null ? 'could not run / was killed' : `exited with ${exitCode}`;
    const detail = stderr.trim() || (cause instanceof Error ? cause.message : '');
    super(`${command} ${args.join(' ')} ${status}${detail ? `:\n${detail}` : ''}`, { cause });
  }
}

/** Runs a command to completion; rejects with CommandError (including stderr) unless it exits 0. */
export function runCommand(
  command: string,
  args: readonly string[],
  options: RunOptions = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      command,
      args,
      {
        encoding: 'buffer',
        maxBuffer: 256 * 1024 * 1024,
        timeout: options.timeoutMs ?? 60_000,
        killSignal: 'SIGKILL',
        ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
        ...(options.env === undefined ? {} : { env: options.env }),
      },
      (error, stdout, stderr) => {
        const err = stderr.toString('utf8');
        if (error) {
          const code = typeof error.code === 'number' ? error.code : null;
          reject(new CommandError(command, args, code, err, stdout, error));
        } else {
          resolve({ stdout, stderr: err });
        }
      },
    );
    hookExit();
    live.add(child);
    child.once('exit', () => live.delete(child));
    if (options.input !== undefined) child.stdin?.end(options.input);
    else child.stdin?.end();
  });
}
