// Global options: listed in every command's --help, accepted before or after the command (and
// between a group and its subcommand), with repeatable ones adding up across places; a command's
// own options stop at its subcommand's name, so `manifest put --json` is put's --json.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GLOBAL_OPTIONS } from '../../src/commands/globals.js';
import { COMMANDS } from '../../src/commands/index.js';
import { describeSeeded, errorLine, ferryOn, SINGLE, skopeoRaw } from '../harness/fixtures.js';
import { ferry } from '../harness/run-ferry.js';

const longFlags = (flags: string): string[] => flags.match(/--[\w-]+/g) ?? [];

describeSeeded('global options', ['anonymous', 'tls'], (seeded) => {
  test("every command's --help lists the global options it takes, under their own heading", async () => {
    const paths = COMMANDS.flatMap((c) => [
      [c.name],
      ...(c.subcommands ?? []).map((sub) => [c.name, sub.name]),
    ]);
    for (const path of paths) {
      const r = await ferry([...path, '--help']);
      assert.equal(r.code, 0, `${path.join(' ')}: ${r.stderr}`);
      const globals = r.stdout.slice(r.stdout.indexOf('Global options (also before the command):'));
      assert.ok(globals.length < r.stdout.length, `${path.join(' ')} --help has a Global options section`);
      for (const option of GLOBAL_OPTIONS) {
        for (const flag of longFlags(option.flags)) {
          // exists defines its own -q, --quiet (listed with its options instead).
          if (path[0] === 'exists' && flag === '--quiet') continue;
          assert.ok(globals.includes(flag), `${path.join(' ')} --help lists ${flag}`);
        }
      }
    }
  });

  test('--debug works before the command, after it, and after a subcommand', async () => {
    const s = seeded.anonymous;
    const ref = `${s.registry.host}/${SINGLE}:v1`;
    for (const args of [
      ['--debug', 'digest', ref],
      ['digest', ref, '--debug'],
      ['digest', '--debug', ref],
    ]) {
      const r = await ferryOn(s, args);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /HEAD .*\/manifests\/v1/, `${args.join(' ')}: the trace`);
    }
  });

  test('a global value that is also a command name (-qu tag) is read as the value, and the command after it runs', async () => {
    // cli.ts builds only the command the line names; `-qu tag` hides that `tag` is -u's value,
    // so the first guess is wrong and the whole tree is built and the line parsed again.
    const s = seeded.anonymous;
    const repository = `${s.registry.host}/${SINGLE}`;
    for (const args of [
      ['-qu', 'tag', '--password-stdin', 'ls', repository],
      ['-u', 'tag', '--password-stdin', 'ls', repository],
      ['--username=tag', '--password-stdin', 'ls', repository],
    ]) {
      const r = await ferry(args, { ...s.run, stdin: 'secret\n' });
      assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stdout, /^v1$/m, args.join(' '));
    }
  });

  test('--insecure given before and after the command adds up (both hosts are insecure)', async () => {
    const s = seeded.tls;
    const ref = `${s.registry.host}/${SINGLE}:v1`;
    // Without --ca-file: only --insecure for this host lets TLS through.
    for (const args of [
      ['--insecure', 'other.example', 'digest', '--insecure', s.registry.host, ref],
      ['--insecure', s.registry.host, 'digest', '--insecure', 'other.example', ref],
    ]) {
      const r = await ferry(args);
      assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
      assert.equal(r.stdout, `${s.images.single.digest}\n`);
    }
    const refused = await ferry(['--insecure', 'other.example', 'digest', ref]);
    assert.equal(refused.code, 5, refused.stderr);
  });

  test("a group's options before its subcommand are the group's; after it, the subcommand's", async () => {
    const s = seeded.anonymous;
    const host = s.registry.host;
    const original = await skopeoRaw(s, `${SINGLE}:v1`);
    const put = await ferry(['manifest', 'put', '--json', `${host}/${SINGLE}:json`, '-'], {
      stdin: original.toString(),
    });
    assert.equal(put.code, 0, put.stderr);
    assert.equal((JSON.parse(put.stdout) as { digest: string }).digest, s.images.single.digest);
    // --platform is manifest's, not put's: after `put` it is unknown.
    const r = await ferry(['manifest', 'put', '--platform', 'linux/amd64', `${host}/${SINGLE}:x`, '-']);
    assert.equal(r.code, 2);
    assert.match(errorLine(r), /^ferry: unknown option '--platform'/);
  });
});
