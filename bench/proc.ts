/** Unmeasured helper commands (seeding tarballs, pre-filling a destination), failing loudly. */
import { runCommand } from '../test/harness/proc.js';

/** Runs a command to completion; rejects with its stderr when it fails. Ten minutes at most. */
export async function runQuiet(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  const { stdout } = await runCommand(cmd, args, { env, timeoutMs: 600_000 });
  return stdout.toString('utf8');
}
