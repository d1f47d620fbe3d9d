// ferry as a person sees it, in a real pseudo-terminal: tmux runs bash, zsh and fish with the
// generated completion scripts loaded and the built CLI on PATH; keys are typed with send-keys
// and the screen read back with capture-pane. Completion must offer commands from the table and,
// after `REPO:`, the tags the real registry holds. A copy on a terminal shows live per-blob
// progress; the same copy with stderr in a file writes a few summary lines, not a flood.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type FaultProxy, startFaultProxy } from '../harness/fault-proxy.js';
import { type SeededRegistry, startSeededRegistries, stopAll, TAGS, TAGS_REPO } from '../harness/fixtures.js';
import { generateImage } from '../harness/images.js';
import { pushImage } from '../harness/skopeo.js';
import { makeTempDir } from '../harness/tmp.js';
import { openTerminal, type Terminal } from '../harness/tmux.js';

const ROOT = resolve(import.meta.dirname, '../..');
const hasShell = (shell: string): boolean => {
  try {
    execFileSync('sh', ['-c', `command -v ${shell}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};

let work: string;
let seeded: Record<'anonymous', SeededRegistry> | undefined;
let host: string;
// A private tmux server with the built CLI on PATH as `ferry`, as an installed one would be.
let term: Terminal;

before(async () => {
  seeded = await startSeededRegistries(['anonymous']);
  host = seeded.anonymous.registry.host;
  work = await makeTempDir('terminal');
  term = await openTerminal('terminal');
});

after(async () => {
  term?.close();
  await stopAll(seeded);
});

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
      const pane = term.start(shell, command);
      await term.waitFor(pane, (t) => t.length > 0, `${shell} to start`);
      term.type(pane, load, 'Enter');
      term.type(pane, 'clear', 'Enter');
      await term.waitFor(pane, (t) => prompt.test(t), `${shell} prompt`);

      // A unique prefix completes in place.
      term.type(pane, 'ferry cop', 'Tab');
      await term.waitFor(pane, (t) => /ferry copy\s*$/m.test(t), `${shell}: ferry cop<TAB> → ferry copy`);
      term.type(pane, '', 'C-u');
      if (shell === 'fish') term.type(pane, '', 'C-k');

      // After REPO: the tags the registry holds, asked for live.
      term.type(pane, `ferry ls ${host}/${TAGS_REPO}:`, 'Tab', 'Tab');
      const shown = await term.waitFor(
        pane,
        (t) => TAGS.every((tag) => t.includes(tag)),
        `${shell}: tags of ${TAGS_REPO}`,
      );
      for (const tag of TAGS) assert.ok(shown.includes(tag), `${shell} offers ${tag}`);
      term.type(pane, '', 'C-c');
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
    const pane = term.start(
      'progress',
      `sh -c 'ferry copy ${proxy.host}/lab/progress:v1 ${host}/lab/progress-tty:v1; echo EXIT=$?; sleep 60'`,
    );
    const live = await term.waitFor(
      pane,
      (t) => /in flight: [0-9a-f]{12} [\d.]+ (KiB|MiB)\/4\.0 MiB/.test(t),
      'live per-blob progress',
    );
    // The total, the share done and an estimate of the time left, beside the blobs in flight.
    assert.match(live, /blobs? done, [\d.]+ (B|KiB|MiB) of 8\.0 MiB, \d+%/);
    assert.match(live, /about [\d.]+ (s|min)/);
    const final = await term.waitFor(pane, (t) => t.includes('EXIT='), 'the copy to finish');
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
    const pane = term.start(
      'log',
      `sh -c 'ferry copy ${proxy.host}/lab/progress:v1 ${host}/lab/progress-log:v1 2>${log}; echo EXIT=$?; sleep 60'`,
    );
    await term.waitFor(pane, (t) => t.includes('EXIT='), 'the copy to finish');
    assert.match(term.screen(pane), /EXIT=0/);
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
