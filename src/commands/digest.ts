import { formatPlatform } from '../image/platform.js';
import { digestJson, digestShape } from '../ui/shapes/index.js';
import { formatOption, jsonOption, platformOption } from './options.js';
import { outputChoice, printResult } from './print.js';
import { defineCommand } from './spec.js';

export const digest = defineCommand({
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
    const output = outputChoice(options.json, options.format);
    const { readLocation, explained } = await import('../store/detect.js');
    const { inspectDigest, locationName } = await import('../store/inspect.js');
    const argument = await readLocation(image ?? '');
    const platform = options.platform;
    const digest = await explained(argument, () =>
      inspectDigest(argument.location, (r) => ctx.client(r), platform),
    );
    const data = digestJson(locationName(argument.location), digest, platform && formatPlatform(platform));
    printResult(ctx, output, { json: data, text: digest });
    return undefined;
  },
});
