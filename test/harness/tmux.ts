// A real pseudo-terminal for tests: a private tmux server (its own socket, killed at the end) runs
// commands with the built CLI on PATH as `ferry`; keys go in with send-keys and the screen comes
// back with capture-pane. For what only a terminal shows: refusals of binary output, pretty
// printing, password prompts without echo.
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { makeTempDir } from './tmp.js';
import { waitFor } from './wait.js';

const ROOT = resolve(import.meta.dirname, '../..');

export interface Terminal {
  /** Starts `command` (sh syntax) in a new window; returns the pane name. */
  start(name: string, command: string): string;
  /** What the pane shows now, trailing blank lines dropped. */
  screen(pane: string): string;
  /** Waits (15 s at most) until `check` accepts the screen; throws showing the screen otherwise. */
  waitFor(pane: string, check: (text: string) => boolean, what: string): Promise<string>;
  /** Types `keys` literally, then the named keys (Enter, C-c). */
  type(pane: string, keys: string, ...named: string[]): void;
  close(): void;
}

export async function openTerminal(label: string): Promise<Terminal> {
  const socket = `ferry-${label}-${process.pid}`;
  const tmux = (...args: string[]): string =>
    execFileSync('tmux', ['-L', socket, ...args], { encoding: 'utf8' });
  const work = await makeTempDir(`tmux-${label}`);
  const bin = join(work, 'bin');
  mkdirSync(bin);
  writeFileSync(join(bin, 'ferry'), `#!/bin/sh\nexec "${process.execPath}" "${ROOT}/bin/ferry.js" "$@"\n`);
  chmodSync(join(bin, 'ferry'), 0o755);
  let started = false;
  const screen = (pane: string): string => tmux('capture-pane', '-p', '-J', '-t', pane).trimEnd();
  return {
    start(name, command) {
      const env = [
        `PATH=${bin}:${process.env['PATH']}`,
        'HOME=/nonexistent-ferry-home',
        'TERM=xterm-256color',
      ];
      const full = `env -i ${env.map((e) => `'${e}'`).join(' ')} sh -c '${command.replaceAll("'", `'\\''`)}'`;
      if (started) tmux('new-window', '-d', '-n', name, full);
      else tmux('new-session', '-d', '-s', 'ferry', '-x', '200', '-y', '50', '-n', name, full);
      started = true;
      return `ferry:${name}`;
    },
    screen,
    async waitFor(pane, check, what) {
      try {
        return await waitFor(
          what,
          () => {
            const text = screen(pane);
            return check(text) ? text : undefined;
          },
          { timeoutMs: 15_000, intervalMs: 50 },
        );
      } catch (err) {
        throw new Error(`${(err as Error).message}; the screen shows:\n${screen(pane)}`);
      }
    },
    type(pane, keys, ...named) {
      if (keys !== '') tmux('send-keys', '-t', pane, '-l', keys);
      for (const key of named) tmux('send-keys', '-t', pane, key);
    },
    close() {
      if (!started) return;
      try {
        tmux('kill-server');
      } catch {
        // already gone
      }
    },
  };
}
