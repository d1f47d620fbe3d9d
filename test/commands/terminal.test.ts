// ferry as a person sees it, in a real pseudo-terminal: tmux runs bash, zsh and fish with the
// generated completion scripts loaded and the built CLI on PATH; keys are typed with send-keys
// and the screen read back with capture-pane. Completion must offer commands from the table and,
// after `REPO:`, the tags the real registry holds. A copy on a terminal shows live per-blob
// progress; the same copy with stderr in a file writes a few summary lines, not a flood.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type FaultProxy, startFaultProxy } from '../harness/fault-proxy.js';
import { type SeededRegistry, startSeededRegistries, stopAll, TAGS, TAGS_REPO } from '../harness/fixtures.js';
import { generateImage } from '../harness/images.js';
import { pushImage } from '../harness/skopeo.js';
import { makeTempDir } from '../harness/tmp.js';
import { waitFor } from '../harness/wait.js';

const ROOT = resolve(import.meta.dirname, '../..');
const SOCKET = `ferry-test-${process.pid}`;
const hasShell = (shell: string): boolean => {
  try {
    execFileSync('sh', ['-c', `command -v ${shell}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};

const tmux = (...args: string[]): string =>
  execFileSync('tmux', ['-L', SOCKET, ...args], { encoding: 'utf8' });

/** What the pane shows now, trailing blank lines dropped. */
const screen = (pane: string): string => tmux('capture-pane', '-p', '-J', '-t', pane).trimEnd();

async function waitForScreen(pane: string, check: (text: string) => boolean, what: string): Promise<string> {
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
}

/** Types `keys` literally (no key-name lookup), then the named keys (Tab, Enter, C-u). */
function type(pane: string, keys: string, ...named: string[]): void {
  if (keys !== '') tmux('send-keys', '-t', pane, '-l', keys);
  for (const key of named) tmux('send-keys', '-t', pane, key);
}

let work: string;
let seeded: Record<'anonymous', SeededRegistry> | undefined;
let host: string;

before(async () => {
  seeded = await startSeededRegistries(['anonymous']);
  host = seeded.anonymous.registry.host;
  work = await makeTempDir('terminal');
  // `ferry` on PATH is the built CLI, as an installed one would be.
  const bin = join(work, 'bin');
  execFileSync('mkdir', ['-p', bin]);
  writeFileSync(join(bin, 'ferry'), `#!/bin/sh\nexec "${process.execPath}" "${ROOT}/bin/ferry.js" "$@"\n`);
  chmodSync(join(bin, 'ferry'), 0o755);
});

after(async () => {
  try {
    tmux('kill-server');
  } catch {
    // No server was started (every shell skipped).
  }
  await stopAll(seeded);
});

/** Starts `command` in a new tmux window of a clean environment (no CI: ora stays on). */
function startPane(name: string, command: string): string {
  const env = [
    `PATH=${join(work, 'bin')}:${process.env['PATH']}`,
    'HOME=/nonexistent-ferry-home',
    'TERM=xterm-256color',
  ];
  const full = `env -i ${env.map((e) => `'${e}'`).join(' ')} ${command}`;
  try {
    tmux('new-window', '-d', '-n', name, full);
  } catch {
    tmux('new-session', '-d', '-s', 'ferry', '-x', '200', '-y', '50', '-n', name, full);
  }
  return `ferry:${name}`;
}

interface ShellCase {
  shell: string;
  command: string;
  load: string;
  prompt: RegExp;
}

const SHELL_CASES: ShellCase[] = [
  {
    shell: 'bash',
    command: 'bash --norc --noprofile -i',
    load: `PS1='$ '; source ${ROOT}/completions/ferry.bash`,
    prompt: /\$$/,
  },
  {
    shell: 'zsh',
    command: 'zsh -f -i',
    load: `PS1='$ '; autoload -Uz compinit && compinit -u -D; source ${ROOT}/completions/ferry.zsh`,
    prompt: /\$$/,
  },
  {
    shell: 'fish',
    command: 'fish --no-config -i',
    load: `function fish_prompt; echo -n '$ '; end; source ${ROOT}/completions/ferry.fish`,
    prompt: /\$$/,
  },
];

describe('completion in an interactive shell', () => {
  for (const { shell, command, load, prompt } of SHELL_CASES) {
    test(`${shell}: commands, then tags fetched live from the registry`, {
      skip: !hasShell(shell) && `${shell} is not installed`,
    }, async () => {
      const pane = startPane(shell, command);
      await waitForScreen(pane, (t) => t.length > 0, `${shell} to start`);
      type(pane, load, 'Enter');
      type(pane, 'clear', 'Enter');
      await waitForScreen(pane, (t) => prompt.test(t), `${shell} prompt`);

      // A unique prefix completes in place.
      type(pane, 'ferry cop', 'Tab');
      await waitForScreen(pane, (t) => /ferry copy\s*$/m.test(t), `${shell}: ferry cop<TAB> → ferry copy`);
      type(pane, '', 'C-u');
      if (shell === 'fish') type(pane, '', 'C-k');

      // After REPO: the tags the registry holds, asked for live.
      type(pane, `ferry ls ${host}/${TAGS_REPO}:`, 'Tab', 'Tab');
      const shown = await waitForScreen(
        pane,
        (t) => TAGS.every((tag) => t.includes(tag)),
        `${shell}: tags of ${TAGS_REPO}`,
      );
      for (const tag of TAGS) assert.ok(shown.includes(tag), `${shell} offers ${tag}`);
      type(pane, '', 'C-c');
    });
  }
});

describe('progress on a terminal and in a log', () => {
  let proxy: FaultProxy;
  before(async () => {
    const image = await generateImage({
      tag: 'v1',
      seed: 'progress',
      layers: [4 * 1024 * 1024, 4 * 1024 * 1024],
    });
    await pushImage(seeded!.anonymous.registry, 'lab/progress:v1', image);
    proxy = await startFaultProxy({ upstream: seeded!.anonymous.registry.url });
  });
  after(async () => {
    await proxy?.close();
  });

  const slowDownloads = () => {
    proxy.clearRules();
    // Every layer pauses a moment after its first MiB, so the copy is visibly in flight.
    proxy.addRule({
      method: 'GET',
      path: /\/blobs\/sha256:/,
      action: { kind: 'delay', phase: 'body', at: 1024 * 1024, ms: 2500 },
    });
  };

  test('a TTY shows live per-blob progress, then one summary line', async () => {
    slowDownloads();
    const pane = startPane(
      'progress',
      `sh -c 'ferry copy ${proxy.host}/lab/progress:v1 ${host}/lab/progress-tty:v1; echo EXIT=$?; sleep 60'`,
    );
    const live = await waitForScreen(
      pane,
      (t) => /in flight: [0-9a-f]{12} [\d.]+ (KiB|MiB)\/4\.0 MiB/.test(t),
      'live per-blob progress',
    );
    // The total, the share done and an estimate of the time left, beside the blobs in flight.
    assert.match(live, /blobs? done, [\d.]+ (B|KiB|MiB) of 8\.0 MiB, \d+%/);
    assert.match(live, /about [\d.]+ (s|min)/);
    const final = await waitForScreen(pane, (t) => t.includes('EXIT='), 'the copy to finish');
    assert.match(final, /EXIT=0/);
    // The closing line names the destination, the digest, what moved and how fast.
    assert.match(
      final,
      /lab\/progress-tty:v1: sha256:[0-9a-f]{64}: 3 blobs copied \(8\.0 MiB\), 1 manifest in/,
    );
    // The spinner redraws one line in place: the finished screen holds the summary, not a scroll of updates.
    const lines = final.split('\n').filter((l) => l.trim() !== '');
    assert.ok(lines.length <= 3, `a few lines on screen, got:\n${final}`);
  });

  test('stderr in a file gets a few summary lines, not a flood', async () => {
    slowDownloads();
    const log = join(work, 'copy.log');
    const pane = startPane(
      'log',
      `sh -c 'ferry copy ${proxy.host}/lab/progress:v1 ${host}/lab/progress-log:v1 2>${log}; echo EXIT=$?; sleep 60'`,
    );
    await waitForScreen(pane, (t) => t.includes('EXIT='), 'the copy to finish');
    assert.match(screen(pane), /EXIT=0/);
    const lines = readFileSync(log, 'utf8')
      .split('\n')
      .filter((l) => l !== '');
    assert.ok(
      lines.length >= 1 && lines.length <= 4,
      `a few lines, got ${lines.length}:\n${lines.join('\n')}`,
    );
    assert.match(
      lines.at(-1) ?? '',
      /^docker:\/\/[^ ]+\/lab\/progress-log:v1: sha256:[0-9a-f]{64}: 3 blobs copied \(8\.0 MiB\), 1 manifest in [\d.]+ s, [\d.]+ (KiB|MiB)\/s$/,
    );
    assert.doesNotMatch(lines.join('\n'), /\u001b\[/, 'no terminal control codes in a log');
  });
});
