import { formatReference, parseReference } from '../ref/index.js';
import { manifestExists } from '../registry/resolve.js';
import { jsonOption } from './options.js';
import type { CommandSpec } from './spec.js';

/** Exit 0 present, 1 absent; any failure to check (auth, network, TLS) exits 3 or higher. */
export const exists: CommandSpec = {
  name: 'exists',
  summary: 'Check whether an image exists (exit 0 present, 1 absent, 3+ could not check)',
  args: ['<image>'],
  options: [
    { flags: '-q, --quiet', description: 'print nothing, answer with the exit code only' },
    jsonOption,
  ],
  examples: [
    'ferry exists ghcr.io/org/app:1.2.3 && echo present',
    'if ! ferry exists -q registry.example.com/app:$SHA; then build; fi',
  ],
  async run(ctx, [image], options) {
    const ref = parseReference(image ?? '');
    const answer = await manifestExists(ctx.client(ref.registry), ref);
    if (options['json']) {
      ctx.out.json({ reference: formatReference(ref), exists: answer.exists, digest: answer.digest ?? null });
    } else if (!options['quiet'] && !ctx.globals.quiet) {
      ctx.out.line(
        answer.exists
          ? `${formatReference(ref)}: present${answer.digest ? ` (${answer.digest})` : ''}`
          : `${formatReference(ref)}: absent`,
      );
    }
    return answer.exists ? 0 : 1;
  },
};
