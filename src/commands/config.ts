import { formatPlatform } from '../image/platform.js';
import { configJson, configShape } from '../ui/shapes/index.js';
import { formatOption, platformOption } from './options.js';
import { outputChoice, printResult } from './print.js';
import { defineCommand } from './spec.js';

export const config = defineCommand({
  name: 'config',
  summary: 'Print the config JSON of an image, byte for byte as served and verified against its digest',
  args: ['<image>'],
  options: [
    platformOption,
    {
      flags: '--json',
      description:
        'the same bytes: a config is JSON already (accepted so scripts can pass --json everywhere)',
    },
    formatOption(configShape, 'fields of the config'),
  ],
  examples: [
    'ferry config alpine:3.20 | jq .config.Env',
    'ferry config --platform linux/arm64 ghcr.io/org/app:1.0 | jq -r .architecture',
    "ferry config --format '{{.Digest}} {{.Config.os}}/{{.Config.architecture}}' alpine:3.20",
    'ferry config docker-archive:saved.tar | jq .config.Cmd',
  ],
  async run(ctx, [image], options) {
    const output = outputChoice(options.json, options.format);
    const { readLocation, explained } = await import('../store/detect.js');
    const { inspectConfig } = await import('../store/inspect.js');
    const argument = await readLocation(image ?? '');
    const result = await explained(argument, () =>
      inspectConfig(argument.location, (r) => ctx.client(r), options.platform),
    );
    if (result.defaultPlatform && result.platform) {
      ctx.status.info(
        `${result.name} is a multi-platform index: config of ${formatPlatform(result.platform)}, the host's platform (choose another with --platform)`,
      );
    }
    const platform = result.platform && formatPlatform(result.platform);
    // Exact bytes when piped (the config's digest is the image ID), with --json too; indented on a terminal.
    printResult(ctx, output, { records: [configJson(result.name, result, platform)], text: result.bytes });
    return undefined;
  },
});
