// Authentication failures, one table for every command: with no credentials, with a wrong
// password (given with -u/--password-stdin, or stored in config.json), and as a user the registry
// lets pull but not do more, each command against the real registry in basic (htpasswd) and token
// mode ends with exit 3 (auth) and one line on stderr that says which of those it was. Never exit 1:
// a script must not read "could not log in" as "absent". Never the password in the output. And a
// refused write leaves nothing behind.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  describeSeeded,
  dockerConfigFor,
  errorLine,
  ferryAccess,
  type SeededRegistry,
  SINGLE,
} from '../harness/fixtures.js';
import { baseEnv, type FerryResult, ferry, type RunOptions } from '../harness/run-ferry.js';

type Mode = 'basic' | 'token';
const MODES: readonly Mode[] = ['basic', 'token'];
const WRONG = 'not-the-password-Xq7';

interface Command {
  name: string;
  args(s: SeededRegistry): string[];
  /** Needs more than pull access (the pull-only user is refused it). */
  write?: boolean;
  /** After a refusal: what must hold then (nothing changed at the registry, the right scope asked for). */
  afterRefusal?(s: SeededRegistry): Promise<void>;
}

/** A refused `tag` or `blob rm` changed nothing: checked as the '*' user. */
async function asAdmin(s: SeededRegistry, args: string[]): Promise<FerryResult> {
  const access = ferryAccess(s.registry);
  return ferry([...access.args, ...args], access.run);
}

const ref = (s: SeededRegistry, tag: string): string => `${s.registry.host}/${SINGLE}:${tag}`;
const configDigest = (s: SeededRegistry): string => s.images.single.platforms[0]!.configDigest;

const COMMANDS: Command[] = [
  {
    name: 'catalog',
    args: (s) => ['catalog', s.registry.host],
    write: true,
    // Refused after asking for the right access: the token server was asked for the catalog scope.
    async afterRefusal(s) {
      if (s.mode === 'token')
        assert.ok((s.registry.tokenServer?.stats().byScope['registry:catalog:*'] ?? 0) > 0);
    },
  },
  { name: 'ls', args: (s) => ['ls', `${s.registry.host}/${SINGLE}`] },
  { name: 'ls -l', args: (s) => ['ls', '-l', `${s.registry.host}/${SINGLE}`] },
  { name: 'manifest', args: (s) => ['manifest', ref(s, 'v1')] },
  { name: 'config', args: (s) => ['config', ref(s, 'v1')] },
  // digest and exists send HEAD: the 401 comes without a body, and the line must still say why.
  { name: 'digest', args: (s) => ['digest', ref(s, 'v1')] },
  { name: 'exists (a present tag)', args: (s) => ['exists', ref(s, 'v1')] },
  { name: 'exists (an absent tag)', args: (s) => ['exists', ref(s, 'absent')] },
  {
    name: 'tag',
    args: (s) => ['tag', ref(s, 'v1'), 'auth-failure'],
    write: true,
    async afterRefusal(s) {
      assert.equal((await asAdmin(s, ['exists', ref(s, 'auth-failure')])).code, 1, 'the tag was not created');
    },
  },
  {
    name: 'blob rm',
    args: (s) => ['blob', 'rm', `${s.registry.host}/${SINGLE}@${configDigest(s)}`],
    write: true,
    async afterRefusal(s) {
      const r = await asAdmin(s, ['blob', `${s.registry.host}/${SINGLE}@${configDigest(s)}`]);
      assert.equal(r.code, 0, `the blob is still there: ${r.stderr}`);
    },
  },
];

interface Failure {
  name: string;
  /** Modes where this failure exists (htpasswd has no per-user rights: no pull-only user). */
  modes: readonly Mode[];
  /** Commands it applies to. */
  applies(c: Command): boolean;
  access(s: SeededRegistry): Promise<{ args: string[]; run: RunOptions }>;
  /** What the line must say, per mode. */
  says(s: SeededRegistry, c: Command): RegExp;
}

/** `text` as a literal in a RegExp. */
const literal = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** A wrong password: basic mode hears it from the registry, token mode from the token server. */
const wrongPassword = (s: SeededRegistry): RegExp =>
  s.mode === 'basic'
    ? new RegExp(
        `: ${literal(s.registry.host)} rejected the credentials of user 'alice' \\(HTTP 401\\): wrong username or password\\?$`,
      )
    : new RegExp(
        `^ferry: ${literal(s.registry.host)}: authentication failed: incorrect username or password$`,
      );

const FAILURES: Failure[] = [
  {
    name: 'no credentials',
    modes: MODES,
    applies: () => true,
    access: async () => ({ args: [], run: { env: baseEnv() } }),
    says: () => /: authentication required \(HTTP 401\) \(hint: .*-u USER --password-stdin\)$/,
  },
  {
    name: 'a wrong password with -u/--password-stdin',
    modes: MODES,
    applies: () => true,
    access: async (s) => s.as('alice', WRONG),
    says: wrongPassword,
  },
  {
    name: 'a wrong password in config.json',
    modes: MODES,
    applies: () => true,
    access: async (s) => ({
      args: [],
      run: { env: baseEnv({ DOCKER_CONFIG: await dockerConfigFor(s.registry, 'alice', WRONG) }) },
    }),
    says: wrongPassword,
  },
  {
    // Token mode only: htpasswd has no per-user rights, so in basic mode the reader may do anything.
    name: 'a user who may only pull',
    modes: ['token'],
    applies: (c) => c.write === true,
    access: async (s) => s.as('reader'),
    says: (s, c) =>
      c.name === 'catalog'
        ? new RegExp(
            `^ferry: ${literal(s.registry.host)} refused to list its repositories \\(HTTP 401\\) ` +
              '\\(hint: the catalog needs registry:catalog:\\* access; log in as a user who has it\\)$',
          )
        : /: access denied for user 'reader' \(HTTP 401 insufficient_scope\)$/,
  },
];

describeSeeded(
  'authentication failures: exit 3 and one line that says why, for every command',
  MODES,
  (seeded) => {
    for (const mode of MODES) {
      for (const failure of FAILURES.filter((f) => f.modes.includes(mode))) {
        describe(`${mode} registry, ${failure.name}`, () => {
          for (const command of COMMANDS.filter((c) => failure.applies(c))) {
            test(command.name, async () => {
              const s = seeded[mode];
              const access = await failure.access(s);
              const r = await ferry([...access.args, ...command.args(s)], access.run);
              assert.equal(r.code, 3, r.stderr);
              const line = errorLine(r);
              assert.match(line, failure.says(s, command));
              assert.ok(!line.includes(WRONG), 'the password is not repeated');
              await command.afterRefusal?.(s);
            });
          }
        });
      }
    }
  },
);
