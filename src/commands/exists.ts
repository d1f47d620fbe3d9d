import { formatReference, parseImageReference } from '../ref/index.js';
import { manifestExists } from '../registry/resolve.js';
import { existsJson, existsShape } from '../ui/shapes/index.js';
import { formatOption, jsonOption } from './options.js';
import { outputChoice, printResult } from './print.js';
import { defineCommand } from './spec.js';

/** Exit 0 present, 1 absent; a usage error 2; any failure to check (auth, network, TLS) 3 or higher. */
export const exists = defineCommand({
  name: 'exists',
  summary: 'Check whether an image exists (exit 0 present, 1 absent, 2 bad usage, 3+ could not check)',
  args: ['<image>'],
  options: [
    {
      flags: '-q, --quiet',
      description: 'print no sentence, answer with the exit code (--json and --format still print)',
    },
    jsonOption,
    formatOption(existsShape, 'the answer'),
  ],
  examples: [
    'ferry exists ghcr.io/org/app:1.2.3 && echo present',
    'if ! ferry exists -q registry.example.com/app:$SHA; then build; fi',
    "ferry exists --format '{{.Exists}} {{.Digest}}' ghcr.io/org/app:1.2.3",
  ],
  async run(ctx, [image], options) {
    const output = outputChoice(options.json, options.format);
    const ref = parseImageReference(image ?? '');
    const answer = await manifestExists(ctx.client(ref.registry), ref);
    const data = existsJson(formatReference(ref), answer.exists, answer.digest);
    const sentence = answer.exists
      ? `${data.reference}: present${answer.digest ? ` (${answer.digest})` : ''}`
      : `${data.reference}: absent`;
    // Asked-for data (--json, --format) prints even with -q; -q silences the sentence.
    const quiet = options.quiet === true || ctx.globals.quiet;
    printResult(ctx, output, { json: data, text: quiet ? undefined : sentence });
    return answer.exists ? 0 : 1;
  },
});
