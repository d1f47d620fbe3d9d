// The GitHub Action (action.yml at the repository root) run as a runner would run it, minus the
// runner: each `run:` step of the composite action goes through `bash --noprofile --norc -eo
// pipefail` with its `env:` (inputs substituted), its working directory, and the runner's files
// (GITHUB_PATH, GITHUB_OUTPUT, RUNNER_TEMP). The action's checkout is a fresh copy of this
// repository, with its own npm install, so what the install step needs is what it gets. Then
// `ferry` must be on the PATH the steps left, and the login must have landed in DOCKER_CONFIG,
// against a real registry with Basic auth.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parse } from 'yaml';
import { type Registry, startRegistry } from '../harness/registry.js';
import { makeTempDir } from '../harness/tmp.js';

const ROOT = resolve(import.meta.dirname, '../..');

interface Step {
  name?: string;
  id?: string;
  if?: string;
  shell?: string;
  'working-directory'?: string;
  env?: Record<string, string>;
  run?: string;
  uses?: string;
}

interface Action {
  inputs: Record<string, { default?: string; required?: boolean }>;
  outputs?: Record<string, { value: string }>;
  runs: { using: string; steps: Step[] };
}

type Inputs = Record<string, string>;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function sh(command: string, args: string[], options: { cwd: string; env: NodeJS.ProcessEnv }): Promise<Run> {
  return new Promise((done, fail) => {
    const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => {
      stdout += c;
    });
    child.stderr.setEncoding('utf8').on('data', (c: string) => {
      stderr += c;
    });
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

/**
 * `${{ … }}` in action.yml, for the expressions it uses: `inputs.NAME`, `github.action_path`, and
 * (in `if:`) `inputs.NAME != ''` / `== ''`. Anything else fails the test: the runner would
 * evaluate it, this test could not.
 */
function expression(text: string, ctx: { inputs: Inputs; actionPath: string }): string | boolean {
  const e = text.trim();
  let m = /^inputs\.([\w-]+)$/.exec(e);
  if (m) return ctx.inputs[m[1]!] ?? '';
  if (e === 'github.action_path') return ctx.actionPath;
  m = /^inputs\.([\w-]+) (!=|==) ''$/.exec(e);
  if (m) return (ctx.inputs[m[1]!] ?? '') === '' ? m[2] === '==' : m[2] === '!=';
  throw new Error(`action.yml: an expression this test cannot evaluate: ${e}`);
}

function substitute(text: string, ctx: { inputs: Inputs; actionPath: string }): string {
  return text.replace(/\$\{\{(.*?)\}\}/g, (_, e: string) => String(expression(e, ctx)));
}

/** A runner's outputs file: `name=value` lines (the heredoc form is not used by action.yml). */
function parseOutputs(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) out[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return out;
}

interface StepResult extends Run {
  step: string;
  skipped: boolean;
}

/** Runs the action's steps in order, as a runner would, until one fails. */
async function runAction(
  action: Action,
  given: Inputs,
  where: { actionPath: string; runnerTemp: string; env: NodeJS.ProcessEnv },
): Promise<{ steps: StepResult[]; path: string[]; outputs: Record<string, string> }> {
  const inputs: Inputs = {};
  for (const [name, spec] of Object.entries(action.inputs)) inputs[name] = given[name] ?? spec.default ?? '';
  const ctx = { inputs, actionPath: where.actionPath };
  const githubPath = join(where.runnerTemp, 'github_path');
  const githubOutput = join(where.runnerTemp, 'github_output');
  await Promise.all([writeFile(githubPath, ''), writeFile(githubOutput, '')]);
  const steps: StepResult[] = [];
  let path: string[] = [];
  for (const [i, step] of action.runs.steps.entries()) {
    const name = step.name ?? `step ${i + 1}`;
    if (step.if !== undefined && expression(step.if, ctx) !== true) {
      steps.push({ step: name, skipped: true, code: 0, stdout: '', stderr: '' });
      continue;
    }
    assert.equal(step.uses, undefined, `${name}: this test runs run: steps only`);
    assert.equal(step.shell, 'bash', `${name}: shell: bash`);
    const script = join(where.runnerTemp, `step-${i}.sh`);
    await writeFile(script, step.run ?? '');
    const env: NodeJS.ProcessEnv = {
      ...where.env,
      PATH: [...path, where.env['PATH'] ?? ''].join(':'),
      GITHUB_ACTION_PATH: where.actionPath,
      GITHUB_PATH: githubPath,
      GITHUB_OUTPUT: githubOutput,
      RUNNER_TEMP: where.runnerTemp,
    };
    for (const [k, v] of Object.entries(step.env ?? {})) env[k] = substitute(String(v), ctx);
    const cwd = substitute(step['working-directory'] ?? where.actionPath, ctx);
    // GitHub's `shell: bash` is `bash --noprofile --norc -eo pipefail {0}`.
    const r = await sh('bash', ['--noprofile', '--norc', '-eo', 'pipefail', script], { cwd, env });
    steps.push({ step: name, skipped: false, ...r });
    // GITHUB_PATH entries are prepended for the steps after, newest first.
    path = (await readFile(githubPath, 'utf8'))
      .split('\n')
      .filter((l) => l !== '')
      .reverse();
    if (r.code !== 0) break;
  }
  return { steps, path, outputs: parseOutputs(await readFile(githubOutput, 'utf8')) };
}

/** A copy of the repository's files (what a checkout of the action holds), without node_modules. */
async function checkoutCopy(): Promise<string> {
  const dir = await makeTempDir('action-checkout');
  const listed = await sh('git', ['ls-files', '--cached', '--others', '--exclude-standard', '-z'], {
    cwd: ROOT,
    env: process.env,
  });
  assert.equal(listed.code, 0, listed.stderr);
  for (const file of listed.stdout.split('\0').filter((f) => f !== '')) {
    await mkdir(dirname(join(dir, file)), { recursive: true });
    await copyFile(join(ROOT, file), join(dir, file)).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== 'ENOENT') throw e; // a file deleted in the working tree but not yet in git
    });
  }
  return dir;
}

const action = parse(await readFile(join(ROOT, 'action.yml'), 'utf8')) as Action;

describe('action.yml', () => {
  test('is a composite action whose scripts take inputs only from the environment', () => {
    assert.equal(action.runs.using, 'composite');
    assert.deepEqual(Object.keys(action.inputs).sort(), ['password', 'registry', 'username']);
    for (const step of action.runs.steps) {
      // An input pasted into a script would be shell code; through env it stays data.
      assert.doesNotMatch(step.run ?? '', /\$\{\{/, `${step.name}: no expression inside run:`);
    }
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub Actions expression, not a template
    assert.equal(action.outputs?.['version']?.value, '${{ steps.install.outputs.version }}');
    assert.ok(action.runs.steps.some((s) => s.id === 'install'));
  });

  test("the README's examples use the action with inputs it has", async () => {
    const readme = await readFile(join(ROOT, 'README.md'), 'utf8');
    const blocks = [...readme.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!);
    const examples = blocks.filter((b) => b.includes('uses: OWNER/ferry@REF'));
    assert.ok(examples.length >= 1, 'a yaml block in the README uses OWNER/ferry@REF');
    const uses = examples.flatMap((example) => {
      const workflow = parse(example) as { jobs: Record<string, { steps: (Step & { with?: Inputs })[] }> };
      return Object.values(workflow.jobs)
        .flatMap((j) => j.steps)
        .filter((s) => s.uses === 'OWNER/ferry@REF');
    });
    assert.equal(uses.length, examples.length, 'one use of the action in each example');
    for (const use of uses)
      for (const name of Object.keys(use.with ?? {})) assert.ok(name in action.inputs, `input ${name}`);
    // The Actions section's example shows the login inputs.
    assert.ok(
      uses.some(
        (use) =>
          Object.keys(use.with ?? {})
            .sort()
            .join(',') === 'password,registry,username',
      ),
      'an example logs in through the action',
    );
  });

  describe('run against a registry with Basic auth', () => {
    let reg: Registry;
    let actionPath: string;
    let dockerConfig: string;
    let installed: Awaited<ReturnType<typeof runAction>>;
    const env = (): NodeJS.ProcessEnv => ({
      PATH: process.env['PATH'],
      HOME: process.env['HOME'],
      DOCKER_CONFIG: dockerConfig,
    });

    before(async () => {
      [reg, actionPath, dockerConfig] = await Promise.all([
        startRegistry('basic'),
        checkoutCopy(),
        makeTempDir('action-docker-config'),
      ]);
      const u = reg.user();
      installed = await runAction(
        action,
        { registry: reg.host, username: u.username, password: u.password },
        { actionPath, runnerTemp: await makeTempDir('action-runner-temp'), env: env() },
      );
    });
    after(() => reg?.stop());

    test('every step ran and succeeded', () => {
      for (const s of installed.steps) {
        assert.equal(s.skipped, false, s.step);
        assert.equal(s.code, 0, `${s.step}:\n${s.stdout}\n${s.stderr}`);
      }
    });

    test('ferry is on the PATH the steps left, at the version the action reports', async () => {
      const r = await sh('ferry', ['--version'], {
        cwd: ROOT,
        env: { ...env(), PATH: [...installed.path, process.env['PATH'] ?? ''].join(':') },
      });
      assert.equal(r.code, 0, r.stderr);
      const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { version: string };
      assert.equal(r.stdout.trim(), pkg.version);
      assert.equal(installed.outputs['version'], pkg.version);
    });

    test('the login landed in DOCKER_CONFIG, and ferry uses it with no flags', async () => {
      const u = reg.user();
      const config = JSON.parse(await readFile(join(dockerConfig, 'config.json'), 'utf8')) as {
        auths: Record<string, { auth: string }>;
      };
      assert.equal(
        Buffer.from(config.auths[reg.host]!.auth, 'base64').toString('utf8'),
        `${u.username}:${u.password}`,
      );
      const r = await sh('ferry', ['catalog', reg.host], {
        cwd: ROOT,
        env: { ...env(), PATH: [...installed.path, process.env['PATH'] ?? ''].join(':') },
      });
      assert.equal(r.code, 0, r.stderr);
    });

    test('the password shows only in the mask command, which the runner swallows', () => {
      const login = installed.steps.find((s) => /log in/i.test(s.step))!;
      const password = reg.user().password;
      assert.ok(login.stdout.includes(`::add-mask::${password}\n`));
      assert.equal(login.stdout.split(password).length, 2, 'once, in ::add-mask::');
      assert.ok(!login.stderr.includes(password));
    });

    test('no registry: the login step is skipped', async () => {
      const runnerTemp = await makeTempDir('action-runner-temp');
      const dir = await makeTempDir('action-docker-config');
      const skipped = await runAction(
        action,
        {},
        { actionPath, runnerTemp, env: { ...env(), DOCKER_CONFIG: dir } },
      );
      assert.deepEqual(
        skipped.steps.map((s) => [s.skipped, s.code]),
        [
          [false, 0],
          [true, 0],
        ],
      );
      await assert.rejects(readFile(join(dir, 'config.json')), { code: 'ENOENT' });
    });

    test('a wrong password fails the login step (exit 3) and stores nothing', async () => {
      const runnerTemp = await makeTempDir('action-runner-temp');
      const dir = await makeTempDir('action-docker-config');
      const wrong = await runAction(
        action,
        { registry: reg.host, username: reg.user().username, password: 'not-the-password' },
        { actionPath, runnerTemp, env: { ...env(), DOCKER_CONFIG: dir } },
      );
      assert.equal(wrong.steps.at(-1)?.code, 3, wrong.steps.at(-1)?.stderr);
      await assert.rejects(readFile(join(dir, 'config.json')), { code: 'ENOENT' });
    });
  });
});
