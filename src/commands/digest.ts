import { parseReference } from '../ref/index.js';
import { resolveDigest } from '../registry/resolve.js';
import { platformOf, platformOption } from './options.js';
import type { CommandSpec } from './spec.js';

export const digest: CommandSpec = {
  name: 'digest',
  summary: 'Print the digest of an image',
  args: ['<image>'],
  options: [platformOption],
  examples: ['ferry digest alpine:3.20', 'ferry digest --platform linux/arm64 ghcr.io/org/app:1.0'],
  async run(ctx, [image], options) {
    const ref = parseReference(image ?? '');
    ctx.out.line(await resolveDigest(ctx.client(ref.registry), ref, platformOf(options)));
    return undefined;
  },
};
