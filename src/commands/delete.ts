import { formatReference, parseImageReference } from '../ref/index.js';
import { deleteByPlan, planDelete } from '../registry/delete.js';
import { deleteJson, deleteShape } from '../ui/shapes/index.js';
import { formatOption, jsonOption, outputChoice } from './options.js';
import type { CommandSpec } from './spec.js';

export const del: CommandSpec = {
  name: 'delete',
  aliases: ['rm'],
  summary: 'Delete a tag (leaving the image and its other tags) or, by digest, an image',
  args: ['<image>'],
  options: [
    { flags: '--dry-run', description: 'say what would be deleted, delete nothing' },
    jsonOption,
    formatOption(deleteShape, 'what was deleted'),
  ],
  examples: [
    'ferry delete registry.example.com/app:old-tag',
    'ferry delete registry.example.com/app@sha256:…',
    'ferry delete --dry-run localhost:5000/app:1.0',
    'ferry delete --json localhost:5000/app:1.0 | jq -r .digest',
  ],
  async run(ctx, [image], options) {
    const output = outputChoice(options);
    const dryRun = options['dryRun'] === true;
    const ref = parseImageReference(image ?? '');
    const client = ctx.client(ref.registry);
    const plan = await planDelete(client, ref);
    const what =
      plan.kind === 'digest'
        ? `manifest ${plan.digest} of ${ref.registry}/${ref.repository}, and every tag pointing at it`
        : `tag ${formatReference(ref)} (pointing at ${plan.digest}); the image and its other tags stay`;
    if (!dryRun) await deleteByPlan(client, ref, plan);
    const data = deleteJson(formatReference(ref), plan, dryRun);
    if (output.kind === 'json') ctx.out.json(data);
    else if (output.kind === 'template') ctx.out.template(output.template, [data]);
    else if (dryRun) ctx.out.line(`would delete ${what}`);
    // The deletion itself is news, not data: stderr, and silent under --quiet.
    if (!dryRun) ctx.status.info(`deleted ${what}`);
    return undefined;
  },
};
