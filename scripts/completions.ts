// Writes the shell completion scripts completions/ferry.{bash,zsh,fish} from the command table
// (src/commands), so they cannot drift from the CLI: `npm run completions`. With --check it writes
// nothing, and exits 1 naming each stale file (a unit test makes the same comparison).
import { readFile, writeFile } from 'node:fs/promises';
import { completionScript, SHELLS } from '../src/commands/completion-script.js';
import { GLOBAL_OPTIONS } from '../src/commands/globals.js';
import { COMMANDS } from '../src/commands/index.js';

const check = process.argv.includes('--check');
let stale = 0;
for (const shell of SHELLS) {
  const file = `completions/ferry.${shell}`;
  const url = new URL(`../${file}`, import.meta.url);
  const script = completionScript(shell, COMMANDS, GLOBAL_OPTIONS);
  if (check) {
    const current = await readFile(url, 'utf8').catch(() => undefined);
    if (current !== script) {
      stale++;
      console.error(`${file} is ${current === undefined ? 'missing' : 'stale'}: run npm run completions`);
    }
  } else {
    await writeFile(url, script);
    console.log(`wrote ${file}`);
  }
}
if (stale > 0) process.exitCode = 1;
