import { parseReference } from '../ref/index.js';
import { resolveManifest } from '../registry/resolve.js';
import { platformOf, platformOption } from './options.js';
import type { CommandSpec } from './spec.js';

export const manifest: CommandSpec = {
  name: 'manifest',
  summary: 'Print the manifest or index of an image, byte for byte as served',
  args: ['<image>'],
  options: [platformOption],
  examples: ['ferry manifest alpine:3.20', 'ferry manifest --platform linux/arm64 alpine:3.20 | jq .layers'],
  async run(ctx, [image], options) {
    const ref = parseReference(image ?? '');
    const { bytes } = await resolveManifest(ctx.client(ref.registry), ref, platformOf(options));
    // The exact bytes: their digest is the image's digest, so nothing is re-encoded or appended.
    ctx.out.raw(bytes);
    return undefined;
  },
};
