// Hints point where ferry's user should go: `ferry login` (not docker's), omitting --platform
// rather than `--platform all`, --template for a template given to pull's --format, and a command
// or option suggested only when the word is close to it.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { errorLine } from '../harness/fixtures.js';
import { type Registry, startRegistry } from '../harness/registry.js';
import { ferry } from '../harness/run-ferry.js';

describe('hints', () => {
  let basic: Registry;
  let token: Registry;
  before(async () => {
    [basic, token] = await Promise.all([startRegistry('basic'), startRegistry('token')]);
  });
  after(() => Promise.all([basic?.stop(), token?.stop()]));

  test('anonymous access refused: the hint says ferry login HOST (Basic and token registries)', async () => {
    for (const reg of [basic, token]) {
      const r = await ferry(['ls', `${reg.host}/lab/app`]);
      assert.equal(r.code, 3, r.stderr);
      const line = errorLine(r);
      assert.match(
        line,
        new RegExp(`\\(hint: log in (first )?\\(ferry login ${reg.host.replace(/[.]/g, '\\.')}\\)`),
      );
      assert.doesNotMatch(line, /docker login/);
    }
  });

  test('--platform all: exit 2, and the hint says to omit --platform', async () => {
    for (const command of [
      ['manifest', 'x.example/a:1'],
      ['copy', 'x.example/a:1', 'y.example/a:1'],
      ['ls', 'x.example/a'],
    ]) {
      const r = await ferry([command[0]!, '--platform', 'all', ...command.slice(1)]);
      assert.equal(r.code, 2);
      assert.match(
        errorLine(r),
        /'all' is not a platform: .*\(hint: omit --platform to keep every platform of an index\)$/,
      );
    }
  });

  test("pull --format '{{.Digest}}': exit 2, the hint points at --template", async () => {
    const r = await ferry(['pull', '--format', '{{.Digest}}', 'x.example/a:1', 'out.tar']);
    assert.equal(r.code, 2);
    assert.equal(
      errorLine(r),
      "ferry: --format must be one of docker, oci, oci-dir, not '{{.Digest}}' (hint: pull takes a summary template as --template)",
    );
  });

  const commands: Array<[string, string]> = [
    ['del', 'did you mean delete?'],
    ['comp', 'did you mean completion?'],
    ['manfest', 'did you mean manifest?'],
    ['mainfest', 'did you mean manifest?'],
    ['lo', 'did you mean login or logout?'],
    ['pus', 'did you mean push?'],
    ['cataloq', 'did you mean catalog?'],
    ['get', 'ferry --help lists the commands'],
    ['images', 'ferry --help lists the commands'],
    ['inspect', 'ferry --help lists the commands'],
    ['frobnicate', 'ferry --help lists the commands'],
  ];
  for (const [word, hint] of commands) {
    test(`unknown command '${word}': ${hint}`, async () => {
      const r = await ferry([word, 'x']);
      assert.equal(r.code, 2);
      assert.equal(errorLine(r), `ferry: unknown command '${word}' (hint: ${hint})`);
    });
  }

  const options: Array<[string[], string]> = [
    [['ls', '--plat', 'linux/amd64', 'a/b'], 'did you mean --platform?'],
    [['ls', '--lon', 'a/b'], 'did you mean --long?'],
    [['ls', '--jsn', 'a/b'], 'did you mean --json?'],
    [['ls', '--debgu', 'a/b'], 'did you mean --debug?'],
    [['ls', '--frob', 'a/b'], 'ferry ls --help lists the options'],
    [['digest', '--long', 'a/b'], 'ferry digest --help lists the options'],
  ];
  for (const [args, hint] of options) {
    test(`unknown option ${args[1]} of ${args[0]}: ${hint}`, async () => {
      const r = await ferry(args);
      assert.equal(r.code, 2);
      assert.equal(errorLine(r), `ferry: unknown option '${args[1]}' (hint: ${hint})`);
    });
  }
});
