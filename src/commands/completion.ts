import { UsageError } from '../errors.js';
import { defineCommand } from './spec.js';

export const completion = defineCommand({
  name: 'completion',
  summary: 'Print the shell completion script for bash, zsh or fish',
  args: ['<shell>'],
  options: [],
  examples: [
    'source <(ferry completion bash)',
    'ferry completion zsh > ~/.zfunc/_ferry   # with fpath+=~/.zfunc before compinit',
    'ferry completion fish > ~/.config/fish/completions/ferry.fish',
  ],
  async run(ctx, [shell]) {
    // Loaded here, not at the top: the generator and the command table it reads are only needed
    // by this command, and the table imports this file.
    const [{ completionScript, SHELLS }, { COMMANDS }, { GLOBAL_OPTIONS }] = await Promise.all([
      import('./completion-script.js'),
      import('./index.js'),
      import('./globals.js'),
    ]);
    const chosen = SHELLS.find((s) => s === shell);
    if (!chosen)
      throw new UsageError(`no completion for shell '${shell}': choose one of ${SHELLS.join(', ')}`);
    ctx.out.raw(Buffer.from(completionScript(chosen, COMMANDS, GLOBAL_OPTIONS)));
    return undefined;
  },
});
