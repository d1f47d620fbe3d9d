import { parseLocation, registryOf } from '../store/location.js';
import { buildOutputOptions, createdOption, pushBuilt, tempDirOf } from './build-options.js';
import { platformsOption } from './options.js';
import { outputChoice } from './print.js';
import { defineCommand } from './spec.js';

export const append = defineCommand({
  name: 'append',
  summary:
    'Add layers (tar files or directories) on top of every platform of an image, reproducibly, and push the result',
  args: ['<base>', '<destination>', '<path...>'],
  options: [
    platformsOption(
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
  // BASE scratch is no registry (build/append.ts SCRATCH, not imported here: it loads the builder).
  registries: ([base = '', destination = '']) => [
    base === 'scratch' ? undefined : registryOf(parseLocation(base)),
    registryOf(parseLocation(destination)),
  ],
  async run(ctx, [base = '', destination = '', ...paths], options) {
    const output = outputChoice(options.json, options.format);
    const { buildTime } = await import('../build/build-time.js');
    const { buildAppend, SCRATCH } = await import('../build/append.js');
    const time = buildTime(options.created, ctx.env);
    const target = parseLocation(destination);
    const built = await buildAppend({
      base: base === SCRATCH ? SCRATCH : parseLocation(base),
      paths,
      platforms: options.platform,
      time,
      tempDir: tempDirOf(ctx),
      client: (registry) => ctx.client(registry),
    });
    await pushBuilt(ctx, output, target, built, options);
    return undefined;
  },
});
