/**
 * Decides once per stream whether it gets colour: --no-color > NO_COLOR (non-empty) > FORCE_COLOR >
 * a TTY whose TERM is not "dumb". stdout and stderr are decided apart: `ferry ls -l | less`
 * keeps colour in its warnings on the terminal, and `ferry … 2>log` keeps it out of the log.
 * chalk's own detection ignores NO_COLOR and sniffs argv (shared/design/node.md §1.7), so ferry
 * builds its Chalk instances with an explicit level.
 */
import { Chalk, type ChalkInstance } from 'chalk';

export interface ColorInput {
  flag: boolean | undefined;
  env: NodeJS.ProcessEnv;
  isTTY: boolean;
}

export function colorEnabled({ flag, env, isTTY }: ColorInput): boolean {
  if (flag === false) return false;
  if (env['NO_COLOR'] !== undefined && env['NO_COLOR'] !== '') return false;
  if (flag === true) return true;
  const force = env['FORCE_COLOR'];
  if (force !== undefined && force !== '') return force !== '0' && force !== 'false';
  return isTTY && env['TERM'] !== 'dumb';
}

export function makeChalk(enabled: boolean): ChalkInstance {
  return new Chalk({ level: enabled ? 1 : 0 });
}

export interface StreamColors {
  stdout: ChalkInstance;
  stderr: ChalkInstance;
}

export function streamColors(
  flag: boolean | undefined,
  env: NodeJS.ProcessEnv,
  streams: { stdout: { isTTY?: boolean }; stderr: { isTTY?: boolean } },
): StreamColors {
  const chalkFor = (stream: { isTTY?: boolean }) =>
    makeChalk(colorEnabled({ flag, env, isTTY: stream.isTTY === true }));
  return { stdout: chalkFor(streams.stdout), stderr: chalkFor(streams.stderr) };
}
