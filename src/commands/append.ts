import type { Platform } from '../image/descriptor.js';
import { parseLocation } from '../store/location.js';
import {
  buildOutputOptions,
  buildPlatformsOption,
  createdOption,
  pushBuilt,
  tempDirOf,
} from './build-options.js';
import { outputChoice } from './options.js';
import type { CommandSpec } from './spec.js';

export const append: CommandSpec = {
  name: 'append',
  summary:
    'Add layers (tar files or directories) on top of every platform of an image, reproducibly, and push the result',
  args: ['<base>', '<destination>', '<path...>'],
  options: [
    buildPlatformsOption(
      'add to this platform of an index only, keeping the others as they are (repeatable); for BASE scratch, the platforms to build (default linux/amd64)',
    ),
    createdOption,
    ...buildOutputOptions,
  ],
  examples: [
    'ferry append alpine:3.20 registry.example.com/app:1.0 ./rootfs',
    'ferry append --platform linux/arm64 registry.example.com/app:1.0 registry.example.com/app:1.0 ./arm64-bin.tar',
    'SOURCE_DATE_EPOCH=$(git log -1 --format=%ct) ferry append scratch --platform linux/amd64 --platform linux/arm64 localhost:5000/static:1 ./dist',
  ],
  async run(ctx, [base = '', destination = '', ...paths], options) {
    const output = outputChoice(options);
    const { buildTime } = await import('../build/build-time.js');
    const { buildAppend, SCRATCH } = await import('../build/append.js');
    const time = buildTime(options['created'] as string | undefined, ctx.env);
    const target = parseLocation(destination);
    const built = await buildAppend({
      base: base === SCRATCH ? SCRATCH : parseLocation(base),
      paths,
      platforms: options['platform'] as Platform[] | undefined,
      time,
      tempDir: tempDirOf(ctx),
      client: (registry) => ctx.client(registry),
    });
    await pushBuilt(ctx, output, target, built, options);
    return undefined;
  },
};
