import { formatPlatform } from '../image/platform.js';
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
    'ferry digest oci-archive:app-oci.tar',
  ],
  async run(ctx, [image], options) {
    const output = outputChoice(options);
    const { readLocation, explained } = await import('../store/detect.js');
    const { inspectDigest, locationName } = await import('../store/inspect.js');
    const argument = await readLocation(image ?? '');
    const platform = platformOf(options);
    const digest = await explained(argument, () =>
      inspectDigest(argument.location, (r) => ctx.client(r), platform),
    );
    const data = digestJson(locationName(argument.location), digest, platform && formatPlatform(platform));
    if (output.kind === 'json') ctx.out.json(data);
    else if (output.kind === 'template') ctx.out.template(output.template, [data]);
    else ctx.out.line(digest);
    return undefined;
  },
};
