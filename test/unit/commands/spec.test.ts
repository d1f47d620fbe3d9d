// The typed options of commands/spec.ts: the attribute name the types read from an option's flags
// must be the one commander stores the value under, or a command would read a key that is never
// set. Each case is checked twice: by the compiler (the name must be OptionKey<flags>) and here,
// against commander itself. defineCommand hands run() commander's values under those names.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Command, Option } from 'commander';
import { defineCommand, type OptionKey, oneOf, option, repeatable } from '../../../src/commands/spec.js';
import type { Context } from '../../../src/context.js';
import { UsageError } from '../../../src/errors.js';

const key = <const F extends string>(flags: F, name: OptionKey<F>): [string, string] => [flags, name];

describe('OptionKey', () => {
  const cases = [
    key('--json', 'json'),
    key('-q, --quiet', 'quiet'),
    key('--dry-run', 'dryRun'),
    key('-j, --jobs <n>', 'jobs'),
    key('--platform <os/arch[/variant]>', 'platform'),
    key('--src-creds <user[:password]>', 'srcCreds'),
    key('--src-password-stdin', 'srcPasswordStdin'),
    key('-n, --no-clobber', 'clobber'),
    key('--no-trunc', 'trunc'),
    key('-o, --output [file]', 'output'),
  ];
  for (const [flags, name] of cases) {
    test(`${flags} → ${name}, as commander names it`, () => {
      assert.equal(new Option(flags).attributeName(), name);
    });
  }
});

describe('defineCommand', () => {
  test("run() gets commander's values, typed from the option list", async () => {
    let seen: unknown;
    const spec = defineCommand({
      name: 'x',
      summary: 'x',
      args: [],
      examples: [],
      options: [
        { flags: '-j, --jobs <n>', description: 'n', parse: (value) => Number(value) },
        option({ flags: '--tag <tag>', description: 't', parse: repeatable((value) => value.toUpperCase()) }),
        option({
          flags: '--mode <m>',
          description: 'm',
          defaultValue: 'a',
          parse: oneOf('--mode', ['a', 'b']),
        }),
        { flags: '--no-clobber', description: 'c' },
      ],
      async run(_ctx, _args, options) {
        // Typed: a number, a string[], 'a' | 'b' and a boolean, without a cast.
        const jobs: number | undefined = options.jobs;
        const tags: string[] | undefined = options.tag;
        const mode: 'a' | 'b' = options.mode;
        const clobber: boolean = options.clobber;
        seen = { jobs, tags, mode, clobber };
        return undefined;
      },
    });
    const program = new Command('t').exitOverride();
    const cmd = program.command('x');
    for (const o of spec.options) {
      const opt = new Option(o.flags, o.description);
      if (o.parse) opt.argParser(o.parse);
      if (o.defaultValue !== undefined) opt.default(o.defaultValue);
      cmd.addOption(opt);
    }
    cmd.action(async () => {
      await spec.run({} as Context, [], cmd.opts());
    });
    await program.parseAsync(['x', '-j', '3', '--tag', 'a', '--tag', 'b', '--no-clobber'], { from: 'user' });
    assert.deepEqual(seen, { jobs: 3, tags: ['A', 'B'], mode: 'a', clobber: false });
  });
});

test('oneOf names the choices, and says a hint when given one', () => {
  const parse = oneOf('--format', ['docker', 'oci', 'oci-dir'], (v) =>
    v.includes('{{') ? 'a hint' : undefined,
  );
  assert.equal(parse('oci'), 'oci');
  assert.throws(
    () => parse('tar'),
    (err: unknown) => {
      assert.ok(err instanceof UsageError);
      assert.equal(err.message, "--format must be one of docker, oci, oci-dir, not 'tar'");
      return true;
    },
  );
  assert.throws(
    () => oneOf('--compress', ['gzip', 'none'])('zstd'),
    /--compress must be gzip or none, not 'zstd'/,
  );
});
