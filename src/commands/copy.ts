import { ExitCode } from '../errors.js';
import { parseLocation, registryOf } from '../store/location.js';
import { transferJson } from '../ui/shapes/index.js';
import { jsonOption } from './options.js';
import { outputChoice } from './print.js';
import { bindSides, SIDE_GLOBALS_INSTEAD, SIDE_OPTIONS } from './side-options.js';
import { defineCommand } from './spec.js';
import {
  manyJson,
  printTransfers,
  runMany,
  runTransfer,
  TRANSFER_OPTIONS,
  transferFormatOption,
} from './transfer-options.js';

export const copy = defineCommand({
  name: 'copy',
  aliases: ['cp'],
  summary: 'Copy an image between registries (or files), keeping every platform and the digest',
  args: ['<source>', '<destination>'],
  options: [
    ...TRANSFER_OPTIONS,
    {
      flags: '-a, --all-tags',
      description: 'copy every tag of the source repository (SOURCE and DESTINATION name repositories)',
    },
    { flags: '-n, --no-clobber', description: 'leave tags that already exist at the destination alone' },
    jsonOption,
    transferFormatOption,
    ...SIDE_OPTIONS,
  ],
  examples: [
    'ferry copy ghcr.io/org/app:1.0 registry.example.com/app:1.0',
    'ferry copy --platform linux/amd64 --platform linux/arm64 alpine:3.20 localhost:5000/alpine:3.20',
    'ferry copy -a -n quay.io/org/app registry.example.com/mirror/app',
    'echo "$TOKEN" | ferry copy --dest-creds ci --dest-password-stdin ghcr.io/org/app:1.0 registry.example.com/app:1.0',
    'ferry copy -r ghcr.io/org/app:1.0 registry.example.com/app:1.0   # with its signatures and SBOMs',
    "ferry copy -q -a --format '{{.Destination}} {{.Outcome}} {{.Digest}}' quay.io/org/app localhost:5000/app",
  ],
  // With -a they name repositories, which read as locations on the same registries.
  registries: ([from = '', to = '']) => [registryOf(parseLocation(from)), registryOf(parseLocation(to))],
  perRegistryFlags: SIDE_GLOBALS_INSTEAD,
  async run(ctx, [from, to], options) {
    const output = outputChoice(options.json, options.format);
    const noClobber = !options.clobber;
    if (options.allTags === true) {
      const { allTagsRepositories, planAllTags } = await import('../copy/plan.js');
      const repositories = allTagsRepositories(from ?? '', to ?? '');
      bindSides(ctx, options, { src: repositories.source.registry, dest: repositories.destination.registry });
      const items = await planAllTags(ctx.client.bind(ctx), repositories, {
        referrers: options.referrers === true,
      });
      const results = await runMany(ctx, items, options, { noClobber });
      printTransfers(ctx, output, manyJson(results), true);
      const { exitCodeOf } = await import('../copy/many.js');
      return exitCodeOf(results);
    }
    const source = parseLocation(from ?? '');
    const destination = parseLocation(to ?? '');
    bindSides(ctx, options, { src: registryOf(source), dest: registryOf(destination) });
    const summary = await runTransfer(ctx, source, destination, options, { noClobber });
    printTransfers(ctx, output, [transferJson(source, destination, summary)]);
    return ExitCode.ok;
  },
});
