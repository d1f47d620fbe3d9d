import { formatPlatform } from '../image/platform.js';
import { formatReference, parseReference } from '../ref/index.js';
import { resolveDigest } from '../registry/resolve.js';
import { digestJson, digestShape } from '../ui/shapes/index.js';
import { formatOption, jsonOption, outputChoice, platformOf, platformOption } from './options.js';
import type { CommandSpec } from './spec.js';

export const digest: CommandSpec = {
  name: 'digest',
  summary: 'Print the digest of an image',
  args: ['<image>'],
  options: [platformOption, jsonOption, formatOption(digestShape, 'the digest')],
  examples: [
    'ferry digest alpine:3.20',
    'ferry digest --platform linux/arm64 ghcr.io/org/app:1.0',
    "ferry digest --format '{{.Reference}}@{{.Digest}}' ghcr.io/org/app:1.0",
  ],
  async run(ctx, [image], options) {
    const output = outputChoice(options);
    const ref = parseReference(image ?? '');
    const platform = platformOf(options);
    const digest = await resolveDigest(ctx.client(ref.registry), ref, platform);
    const data = digestJson(formatReference(ref), digest, platform && formatPlatform(platform));
    if (output.kind === 'json') ctx.out.json(data);
    else if (output.kind === 'template') ctx.out.template(output.template, [data]);
    else ctx.out.line(digest);
    return undefined;
  },
};
