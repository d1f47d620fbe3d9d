import { formatReference, parseReference } from '../ref/index.js';
import { deleteByPlan, planDelete } from '../registry/delete.js';
import type { CommandSpec } from './spec.js';

export const del: CommandSpec = {
  name: 'delete',
  aliases: ['rm'],
  summary: 'Delete a tag (leaving the image and its other tags) or, by digest, an image',
  args: ['<image>'],
  options: [{ flags: '--dry-run', description: 'say what would be deleted, delete nothing' }],
  examples: [
    'ferry delete registry.example.com/app:old-tag',
    'ferry delete registry.example.com/app@sha256:…',
    'ferry delete --dry-run localhost:5000/app:1.0',
  ],
  async run(ctx, [image], options) {
    const ref = parseReference(image ?? '');
    const client = ctx.client(ref.registry);
    const plan = await planDelete(client, ref);
    const what =
      plan.kind === 'digest'
        ? `manifest ${plan.digest} of ${ref.registry}/${ref.repository}, and every tag pointing at it`
        : `tag ${formatReference(ref)} (pointing at ${plan.digest}); the image and its other tags stay`;
    if (options['dryRun']) {
      ctx.out.line(`would delete ${what}`);
      return undefined;
    }
    await deleteByPlan(client, ref, plan);
    ctx.status.info(`deleted ${what}`);
    return undefined;
  },
};
