import { isDigest } from '../digest/index.js';
import { UsageError } from '../errors.js';
import { parseTag } from '../ref/index.js';
import { type Location, parseLocation, registryOf, registryRef } from '../store/location.js';
import { annotationOption, buildOutputOptions, pushBuilt } from './build-options.js';
import { platformsOption } from './options.js';
import { outputChoice } from './print.js';
import { commandGroup, defineCommand, oneOf, option, repeatable } from './spec.js';

const MEDIA_TYPES = ['oci', 'docker'] as const;

/** A digest such as sha256:…, as --digest takes it. */
function parseDigest(value: string): string {
  if (!isDigest(value)) throw new UsageError(`--digest must be a digest such as sha256:…, not '${value}'`);
  return value;
}

/** The registries of an index and its sources (CommandSpec.registries). */
const registriesOf = (locations: readonly string[]) => locations.map((l) => registryOf(parseLocation(l)));

/** The index an add or remove edits: a registry tag, since the result is pushed back to it. */
function indexInPlace(text: string): Location {
  const location = parseLocation(text);
  if (registryRef(location)?.tag === undefined && registryRef(location) !== undefined)
    throw new UsageError(`${text}: name the index by tag, which the edited index is pushed to`);
  return location;
}

const create = defineCommand({
  name: 'create',
  summary:
    "Make a multi-platform index of images or indexes from anywhere, copying their content into the index's repository",
  args: ['<index>', '<source...>'],
  options: [
    option({
      flags: '-t, --tag <tag>',
      description: 'also point this tag at the new index (repeatable)',
      parse: repeatable(parseTag),
    }),
    annotationOption,
    option({
      flags: '--media-type <type>',
      description:
        'oci (an OCI image index) or docker (a Docker manifest list); default: docker when every source is Docker-typed, else oci',
      choices: MEDIA_TYPES,
      parse: oneOf('--media-type', MEDIA_TYPES),
    }),
    ...buildOutputOptions,
  ],
  examples: [
    'ferry index create ghcr.io/org/app:1.0 ghcr.io/org/app@sha256:<amd64> ghcr.io/org/app@sha256:<arm64>',
    'ferry index create -t latest registry.example.com/app:1.0 build/app:amd64 other.example.com/app:arm64',
  ],
  registries: registriesOf,
  async run(ctx, [index = '', ...sources], options) {
    const output = outputChoice(options.json, options.format);
    const { buildIndexCreate } = await import('../build/index-assembly.js');
    const { checkPublishable } = await import('../build/publish.js');
    const destination = parseLocation(index);
    const tags = options.tag ?? [];
    checkPublishable(destination, tags);
    const built = await buildIndexCreate({
      sources: sources.map((s) => parseLocation(s)),
      mediaType: options.mediaType,
      annotations: options.annotation,
      client: (registry) => ctx.client(registry),
    });
    await pushBuilt(ctx, output, destination, built, options, tags);
    return undefined;
  },
});

const add = defineCommand({
  name: 'add',
  summary:
    'Add images (or the entries of indexes) to an existing index and push it back to its tag; an image for a platform the index has replaces the old one',
  args: ['<index>', '<source...>'],
  options: [annotationOption, ...buildOutputOptions],
  examples: ['ferry index add registry.example.com/app:1.0 registry.example.com/app:1.0-riscv64'],
  registries: registriesOf,
  async run(ctx, [index = '', ...sources], options) {
    const output = outputChoice(options.json, options.format);
    const { buildIndexAdd } = await import('../build/index-assembly.js');
    const location = indexInPlace(index);
    const built = await buildIndexAdd({
      index: location,
      sources: sources.map((s) => parseLocation(s)),
      annotations: options.annotation,
      client: (registry) => ctx.client(registry),
    });
    await pushBuilt(ctx, output, location, built, options);
    return undefined;
  },
});

const remove = defineCommand({
  name: 'remove',
  aliases: ['rm'],
  summary:
    'Take the images of a platform (or an entry, by digest) out of an index, with their attestations, and push it back to its tag',
  args: ['<index>'],
  options: [
    platformsOption('take out the images of this platform (repeatable)'),
    option({
      flags: '--digest <digest>',
      description: 'take out the entry with this digest (repeatable)',
      parse: repeatable(parseDigest),
    }),
    annotationOption,
    ...buildOutputOptions,
  ],
  examples: [
    'ferry index remove --platform linux/s390x registry.example.com/app:1.0',
    'ferry index remove --digest sha256:<digest> registry.example.com/app:1.0',
  ],
  async run(ctx, [index = ''], options) {
    const output = outputChoice(options.json, options.format);
    const { buildIndexRemove } = await import('../build/index-assembly.js');
    const location = indexInPlace(index);
    const built = await buildIndexRemove({
      index: location,
      platforms: options.platform ?? [],
      digests: options.digest ?? [],
      annotations: options.annotation,
      client: (registry) => ctx.client(registry),
    });
    await pushBuilt(ctx, output, location, built, options);
    return undefined;
  },
});

export const imageIndex = commandGroup('index', 'Create and edit multi-platform indexes', [
  create,
  add,
  remove,
]);
