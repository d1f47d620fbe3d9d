import { formatPlatform } from '../image/platform.js';
import { manifestJson, manifestShape } from '../ui/shapes/index.js';
import { formatOption, outputChoice, platformOf, platformOption } from './options.js';
import type { CommandSpec } from './spec.js';

export const manifest: CommandSpec = {
  name: 'manifest',
  summary: 'Print the manifest or index of an image, byte for byte as served',
  args: ['<image>'],
  options: [
    platformOption,
    {
      flags: '--json',
      description:
        'the same bytes: a manifest is JSON already (accepted so scripts can pass --json everywhere)',
    },
    formatOption(manifestShape, 'fields of the manifest and its descriptor'),
  ],
  examples: [
    'ferry manifest alpine:3.20',
    'ferry manifest --platform linux/arm64 alpine:3.20 | jq .layers',
    "ferry manifest --format '{{.MediaType}} {{.Size}} {{len .Manifest.layers}}' alpine:3.20",
    'ferry manifest oci:./layout:v1',
  ],
  async run(ctx, [image], options) {
    const output = outputChoice(options);
    const { readLocation, explained } = await import('../store/detect.js');
    const { inspectManifest } = await import('../store/inspect.js');
    const argument = await readLocation(image ?? '');
    const resolved = await explained(argument, () =>
      inspectManifest(argument.location, (r) => ctx.client(r), platformOf(options)),
    );
    if (output.kind === 'template') {
      const platform = resolved.platform && formatPlatform(resolved.platform);
      const fetched = { ...resolved.descriptor, bytes: resolved.bytes };
      ctx.out.template(output.template, [manifestJson(resolved.name, fetched, platform)]);
      return undefined;
    }
    // The exact bytes, with --json too (their digest is the image's digest), when piped; a
    // terminal gets them indented, for reading.
    ctx.out.document(resolved.bytes);
    return undefined;
  },
};
