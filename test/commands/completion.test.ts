// The generated bash completion, run in real bash: the script is sourced in a non-interactive
// `bash -c` that sets COMP_WORDS, COMP_CWORD and COMP_LINE as bash would for a line and calls
// _ferry, as `complete -F` does. zsh and fish scripts get a syntax check where those shells exist.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { completionScript } from '../../src/commands/completion-script.js';
import { GLOBAL_OPTIONS } from '../../src/commands/globals.js';
import { COMMANDS } from '../../src/commands/index.js';
import type { CommandSpec } from '../../src/commands/spec.js';
import { makeTempDir, removeTempDir } from '../harness/tmp.js';

const SCRIPTS = fileURLToPath(new URL('../../completions/', import.meta.url));
const BASH_SCRIPT = join(SCRIPTS, 'ferry.bash');
/** bash's default, so the test does not depend on the distribution's. */
const WORDBREAKS = ` \t\n"'@><=;|&(:`;

const RUNNER = `
source "$1" || exit 1
COMP_WORDBREAKS=$2
COMP_LINE=$3
COMP_POINT=\${#COMP_LINE}
COMP_CWORD=$4
shift 4
COMP_WORDS=("$@")
eval "$FERRY_TEST_SETUP"
COMPREPLY=()
_ferry
printf '%s\\n' "\${COMPREPLY[@]}"
`;

/** The words bash makes of a line for completion: split at blanks, and at =, : and @ runs. */
function compWords(line: string): string[] {
  const words = line.split(/[ \t]+/).flatMap((token) => token.match(/[=:@]+|[^=:@]+/g) ?? ['']);
  return words;
}

interface Options {
  cwd?: string;
  /** bash run after sourcing the script, before _ferry (e.g. to redefine the hook). */
  setup?: string;
  script?: string;
}

/** What _ferry offers for `line`, with the cursor at its end. */
function complete(line: string, options: Options = {}): string[] {
  const words = compWords(line);
  const out = execFileSync(
    'bash',
    [
      '--norc',
      '--noprofile',
      '-c',
      RUNNER,
      'bash',
      options.script ?? BASH_SCRIPT,
      WORDBREAKS,
      line,
      String(words.length - 1),
      ...words,
    ],
    {
      encoding: 'utf8',
      cwd: options.cwd ?? SCRIPTS,
      env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', FERRY_TEST_SETUP: options.setup ?? '' },
    },
  );
  return out.split('\n').filter((l) => l !== '');
}

const sorted = (list: readonly string[]): string[] => [...list].sort();
/** The command names and aliases of the table (and help) that start with `prefix`. */
const namesStarting = (prefix: string, commands: readonly CommandSpec[] = COMMANDS): string[] =>
  sorted(
    [...commands.flatMap((c) => [c.name, ...(c.aliases ?? [])]), 'help'].filter((n) => n.startsWith(prefix)),
  );
const LS_FLAGS = ['-l', '--long', '--limit', '--last', '--json', '--format', '-f', '--filter', '--platform'];
const GLOBAL_FLAGS = GLOBAL_OPTIONS.flatMap((o) => o.flags.split(/[\s,]+/).filter((p) => p.startsWith('-')));

const has = (shell: string): boolean =>
  spawnSync(shell, ['--version'], { stdio: 'ignore' }).error === undefined;

describe('bash completion', () => {
  test('the script is valid bash and registers _ferry for ferry', () => {
    execFileSync('bash', ['-n', BASH_SCRIPT]);
    const out = execFileSync(
      'bash',
      ['--norc', '--noprofile', '-c', 'source "$1" && complete -p ferry', 'bash', BASH_SCRIPT],
      { encoding: 'utf8' },
    );
    assert.equal(out.trim(), 'complete -F _ferry ferry');
  });

  test('ferry <TAB> offers every command and alias, and help', () => {
    const names = COMMANDS.flatMap((c) => [c.name, ...(c.aliases ?? [])]);
    assert.deepEqual(sorted(complete('ferry ')), sorted([...names, 'help']));
  });

  test('a prefix offers the commands it starts: ma, l, t', () => {
    assert.deepEqual(complete('ferry ma'), ['manifest']);
    assert.deepEqual(sorted(complete('ferry l')), namesStarting('l'));
    assert.deepEqual(sorted(complete('ferry t')), namesStarting('t'));
    for (const prefix of ['c', 'd', 'e', 'h', 'p', 'co'])
      assert.deepEqual(sorted(complete(`ferry ${prefix}`)), namesStarting(prefix));
  });

  test('a prefix no command starts offers nothing (ferry co, while no command starts so; ferry zz)', () => {
    assert.deepEqual(sorted(complete('ferry co')), namesStarting('co'));
    assert.deepEqual(complete('ferry zz'), []);
  });

  test("ferry ls --l offers ls's flags that start so", () => {
    assert.deepEqual(sorted(complete('ferry ls --l')), sorted(['--long', '--limit', '--last']));
  });

  test('ferry <alias> - offers the flags of the command, and the global ones', () => {
    const offered = complete('ferry tags -');
    for (const flag of [...LS_FLAGS, ...GLOBAL_FLAGS, '-h', '--help'])
      assert.ok(offered.includes(flag), `no ${flag}`);
    assert.ok(!offered.includes('--dry-run'), 'ls has no --dry-run (that is delete)');
    assert.ok(!offered.includes('--version'), '--version is for the program, not a command');
  });

  test('a flag before the command offers the global flags and --version', () => {
    const offered = complete('ferry -');
    for (const flag of [...GLOBAL_FLAGS, '-h', '--help', '-V', '--version'])
      assert.ok(offered.includes(flag), `no ${flag}`);
    assert.ok(!offered.includes('--long'));
  });

  test('exists -q is offered once though exists redefines the global -q', () => {
    const offered = complete('ferry exists -');
    assert.equal(offered.filter((f) => f === '-q').length, 1);
    assert.equal(offered.filter((f) => f === '--quiet').length, 1);
  });

  test('ferry manifest --platform linux/a offers the linux/a* platforms', () => {
    const expected = ['linux/amd64', 'linux/arm64', 'linux/arm/v7', 'linux/arm/v6'];
    assert.deepEqual(sorted(complete('ferry manifest --platform linux/a')), sorted(expected));
    assert.deepEqual(sorted(complete('ferry digest --platform linux/a')), sorted(expected));
    // --platform=linux/a: bash completes the text after the =, so the candidates leave it out.
    assert.deepEqual(sorted(complete('ferry manifest --platform=linux/a')), sorted(expected));
    assert.equal(complete('ferry manifest --platform ').length, 9);
  });

  test('option values are skipped when finding the command (ferry --plain-http h ls -)', () => {
    for (const line of [
      'ferry --plain-http h ls -',
      'ferry --plain-http=h ls -',
      'ferry -u bob --debug ls -',
      'ferry -qu bob ls -',
    ]) {
      const offered = complete(line);
      for (const flag of LS_FLAGS)
        assert.ok(offered.includes(flag), `${line}: no ${flag} in ${offered.join(' ')}`);
    }
    assert.deepEqual(complete('ferry --plain-http h ma'), ['manifest']);
    assert.deepEqual(complete('ferry --insecure ls --plain-http h ma'), ['manifest']);
  });

  test("an option's free-form value is not completed as a command (ferry --plain-http <TAB>)", () => {
    assert.deepEqual(complete('ferry --plain-http '), []);
    assert.deepEqual(complete('ferry ls --limit '), []);
    assert.deepEqual(complete('ferry -u '), []);
  });

  test('a command argument offers no command names or flags', () => {
    assert.deepEqual(complete('ferry ls '), []);
    assert.deepEqual(complete('ferry ls ma'), []);
    assert.deepEqual(complete('ferry manifest alpine '), []);
  });

  test('ferry index <TAB> offers its subcommands, then their flags and --media-type choices', () => {
    assert.deepEqual(sorted(complete('ferry index ')), ['add', 'create', 'remove', 'rm']);
    assert.deepEqual(complete('ferry index cr'), ['create']);
    assert.deepEqual(sorted(complete('ferry index create --t')), ['--tag']);
    assert.deepEqual(sorted(complete('ferry index create --media-type ')), ['docker', 'oci']);
    assert.ok(complete('ferry index remove --').includes('--digest'));
  });

  test('ferry help <TAB> offers the commands', () => {
    assert.deepEqual(complete('ferry help ma'), ['manifest']);
  });

  describe('--ca-file', () => {
    let dir = '';
    before(async () => {
      dir = await makeTempDir('completion');
      writeFileSync(join(dir, 'ca.pem'), '');
      writeFileSync(join(dir, 'other.txt'), '');
      mkdirSync(join(dir, 'certs'));
    });
    after(() => removeTempDir(dir));

    test('completes file names', () => {
      assert.deepEqual(sorted(complete('ferry --ca-file c', { cwd: dir })), ['ca.pem', 'certs']);
      assert.deepEqual(complete('ferry ls --ca-file ca', { cwd: dir }), ['ca.pem']);
      assert.deepEqual(complete('ferry --ca-file=o', { cwd: dir }), ['other.txt']);
    });

    test('file names are not offered elsewhere', () => {
      assert.deepEqual(sorted(complete('ferry c', { cwd: dir })), namesStarting('c'));
    });
  });

  describe('the dynamic completion hook', () => {
    // What a later `ferry __complete` will do: the hook prints candidates, _ferry filters them.
    const setup = `__ferry_complete_dynamic() {
      printf '%s\\n' "$1|$2|$3" >>"$FERRY_HOOK_LOG"
      printf '%s\\n' ghcr.io/org/app:latest ghcr.io/org/app:v1 ghcr.io/org/app:v2
    }`;
    let dir = '';
    before(async () => {
      dir = await makeTempDir('completion-hook');
    });
    after(() => removeTempDir(dir));

    const run = (line: string): { offered: string[]; calls: string[] } => {
      const log = join(dir, 'hook.log');
      writeFileSync(log, '');
      const offered = complete(line, { setup: `FERRY_HOOK_LOG=${log}\n${setup}` });
      const calls = readFileSync(log, 'utf8').split('\n').filter(Boolean);
      return { offered, calls };
    };

    test('completes nothing yet', () => {
      assert.deepEqual(complete('ferry ls ghcr.io/org/app:'), []);
    });

    test('gets the command, the argument and the whole word (REPO:ta), and bash completes after the colon', () => {
      const { offered, calls } = run('ferry tags ghcr.io/org/app:v');
      assert.deepEqual(calls, ['ls|<repository>|ghcr.io/org/app:v']);
      assert.deepEqual(offered, ['v1', 'v2']);
    });

    test('is asked for the values of options without choices', () => {
      const { calls } = run('ferry --plain-http h ls --last v');
      assert.deepEqual(calls, ['ls|--last|v']);
    });

    test('is not asked for options with choices or for command names', () => {
      assert.deepEqual(run('ferry manifest --platform linux/a').calls, []);
      assert.deepEqual(run('ferry ma').calls, []);
    });
  });
});

describe('bash completion: subcommands and local files', () => {
  let dir = '';
  let log = '';
  // The hook records what it is asked and offers one candidate, so the tests see when it is used.
  const setup = (): string => `FERRY_HOOK_LOG=${log}
__ferry_complete_dynamic() {
  printf '%s\\n' "$1|$2|$3" >>"$FERRY_HOOK_LOG"
  printf '%s\\n' "$3dynamic"
}`;
  before(async () => {
    dir = await makeTempDir('completion-files');
    log = join(dir, 'hook.log');
    writeFileSync(join(dir, 'layer.tar.gz'), '');
    writeFileSync(join(dir, 'manifest.json'), '');
    mkdirSync(join(dir, 'layout'));
  });
  after(() => removeTempDir(dir));
  const run = (line: string): { offered: string[]; calls: string[] } => {
    writeFileSync(log, '');
    const offered = complete(line, { cwd: dir, setup: setup() });
    return { offered: sorted(offered), calls: readFileSync(log, 'utf8').split('\n').filter(Boolean) };
  };

  test("a group's first argument offers its subcommands and what the argument takes", () => {
    assert.deepEqual(run('ferry blob ').offered, ['delete', 'dynamic', 'put', 'rm']);
    assert.deepEqual(run('ferry blob p').offered, ['pdynamic', 'put']);
    assert.deepEqual(run('ferry manifest p').offered, ['pdynamic', 'put']);
    assert.deepEqual(run('ferry blob ').calls, ['blob|<repo@digest>|']);
  });

  test('after a subcommand, its own arguments and flags', () => {
    const repo = run('ferry blob put loc');
    assert.deepEqual(repo.calls, ['blob.put|<repo>|loc']);
    assert.deepEqual(repo.offered, ['locdynamic']);
    assert.deepEqual(run('ferry blob put localhost:5000/app l').offered, ['layer.tar.gz', 'layout']);
    assert.deepEqual(
      run('ferry blob put localhost:5000/app l').calls,
      [],
      'a file argument asks no registry',
    );
    const flags = run('ferry manifest put --').offered;
    for (const flag of ['--media-type', '--json', '--format', '--debug'])
      assert.ok(flags.includes(flag), flag);
    assert.ok(!flags.includes('--platform'), 'manifest put has no --platform (manifest has)');
    assert.ok(
      run('ferry manifest put --media-type application/vnd.oci.image.m').offered.includes(
        'application/vnd.oci.image.manifest.v1+json',
      ),
    );
    assert.deepEqual(run('ferry blob rm ').calls, ['blob.rm|<repo@digest>|']);
    assert.deepEqual(run('ferry blob delete ').calls, ['blob.rm|<repo@digest>|']);
  });

  test('a subcommand name later on the line is an argument, not a subcommand', () => {
    // `put` as blob put's REPO: the next word is its FILE.
    assert.deepEqual(run('ferry blob put put l').offered, ['layer.tar.gz', 'layout']);
  });

  test('local arguments complete file names: push SOURCE, pull DESTINATION, blob FILE', () => {
    assert.deepEqual(run('ferry push l').offered, ['layer.tar.gz', 'layout']);
    assert.deepEqual(run('ferry pull alpine m').offered, ['manifest.json']);
    assert.deepEqual(run('ferry blob reg.example/a@sha256:x l').offered, ['layer.tar.gz', 'layout']);
    assert.deepEqual(run('ferry push l').calls, []);
  });

  test('an image argument that starts like a path completes file names; a name asks the registry', () => {
    assert.deepEqual(run('ferry manifest ./la').offered, ['./layer.tar.gz', './layout']);
    assert.deepEqual(run('ferry manifest ./la').calls, []);
    assert.deepEqual(run('ferry ls la').calls, ['ls|<repository>|la']);
  });
});

describe('scripts for an awkward table', () => {
  // Quotes, brackets, spaces and optional/variadic arguments must not break any shell's syntax.
  const awkward: CommandSpec = {
    name: 'zz-awkward',
    aliases: ['zz-odd'],
    summary: `Copy an image (it's "quick": [really] $HOME \`x\`)`,
    args: ['<source>', '[destination...]'],
    options: [
      { flags: '-o, --output [file]', description: "write here (don't) ]" },
      {
        flags: '--label <key=value>',
        description: 'add a label',
        parse: (v: string, p: unknown) => [p, v],
        choices: ['a b', "it's", '$x'],
      },
    ],
    examples: [],
    run: async () => 0,
  };

  let dir = '';
  const scriptFor = (shell: 'bash' | 'zsh' | 'fish'): string => {
    const file = join(dir, `ferry.${shell}`);
    writeFileSync(file, completionScript(shell, [...COMMANDS, awkward], GLOBAL_OPTIONS));
    return file;
  };
  before(async () => {
    dir = await makeTempDir('completion-awkward');
  });
  after(() => removeTempDir(dir));

  test('bash: valid, and completes the awkward choices', () => {
    const file = scriptFor('bash');
    execFileSync('bash', ['-n', file]);
    assert.deepEqual(complete('ferry zz-odd --label i', { script: file }), ["it's"]);
    assert.deepEqual(complete('ferry zz-odd --label $', { script: file }), ['$x']);
    assert.deepEqual(sorted(complete('ferry zz', { script: file })), ['zz-awkward', 'zz-odd']);
  });

  test('zsh: valid (zsh -n)', (t) => {
    if (!has('zsh')) return t.skip('zsh is not installed');
    execFileSync('zsh', ['-n', scriptFor('zsh')]);
  });

  test('fish: valid (fish --no-execute)', (t) => {
    if (!has('fish')) return t.skip('fish is not installed');
    execFileSync('fish', ['--no-execute', scriptFor('fish')]);
  });
});

describe('zsh and fish scripts', () => {
  test('zsh: completions/ferry.zsh is valid (zsh -n)', (t) => {
    if (!has('zsh')) return t.skip('zsh is not installed');
    execFileSync('zsh', ['-n', join(SCRIPTS, 'ferry.zsh')]);
  });

  test('fish: completions/ferry.fish is valid (fish --no-execute)', (t) => {
    if (!has('fish')) return t.skip('fish is not installed');
    execFileSync('fish', ['--no-execute', join(SCRIPTS, 'ferry.fish')]);
  });
});
