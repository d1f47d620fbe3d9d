import type { Context } from '../context.js';
import { NO_FILTER, selectTags, type TagFilter } from '../registry/tag-filter.js';
import type { TagListing } from '../store/tag-listing.js';
import {
  TAG_ITEM_CHEAP_FIELDS,
  tagItem,
  tagItemShape,
  tagRowJson,
  tagRowsJson,
  tagsJson,
} from '../ui/shapes/index.js';
import { tagTable } from '../ui/table.js';
import { compareVersions } from '../util/version-order.js';
import { filterOption } from './ls-filter.js';
import { formatOption, jsonOption, lastOption, limitOption, platformsOption } from './options.js';
import { type OutputChoice, outputChoice, printResult } from './print.js';
import { defineCommand, type OptionsOf, option } from './spec.js';

/** Manifest and config GETs in flight at once when tags are described: enough to hide latency, few enough to be polite. */
const DESCRIBE_CONCURRENCY = 8;

const LS_OPTIONS = [
  option({
    flags: '-l, --long',
    description: 'show digest, media type, platforms, size and creation time per tag',
  }),
  option({
    flags: '--no-trunc',
    description: 'with -l: whole digests, media types, tags and platform lists (wider than 120 columns)',
  }),
  filterOption,
  platformsOption('keep tags whose image or index has this platform (repeatable: all of them)'),
  limitOption,
  lastOption,
  jsonOption,
  formatOption(tagItemShape, 'each tag'),
] as const;

export const ls = defineCommand({
  name: 'ls',
  aliases: ['tags'],
  summary: 'List the tags of a repository',
  args: ['<repository>'],
  options: LS_OPTIONS,
  examples: [
    'ferry ls alpine',
    'ferry ls -l ghcr.io/org/app',
    "ferry ls ghcr.io/org/app --filter 'v1.*' --platform linux/arm64",
    'ferry ls ghcr.io/org/app --filter since=1.0 --format "{{.Tag}}\\t{{.Created}}"',
    'ferry ls localhost:5000/team/app --json | jq -r ".tags[]"',
    'ferry ls -l oci:./layout',
  ],
  async run(ctx, [repository], options) {
    const output = outputChoice(options.json, options.format);
    const filter: TagFilter = { ...(options.filter ?? NO_FILTER), platforms: options.platform ?? [] };
    const long = options.long === true;
    const { readRepositoryLocation, explained } = await import('../store/detect.js');
    const { openTagListing } = await import('../store/tag-listing.js');
    const argument = await readRepositoryLocation(repository ?? '');
    const listing = await openTagListing(argument.location, (r) => ctx.client(r));
    try {
      return await explained(argument, () => list(ctx, listing, filter, long, output, options));
    } finally {
      await listing.close();
    }
  },
});

async function list(
  ctx: Context,
  listing: TagListing,
  filter: TagFilter,
  long: boolean,
  output: OutputChoice,
  options: OptionsOf<typeof LS_OPTIONS>,
): Promise<undefined> {
  const page = await listing.list({ limit: options.limit, last: options.last });
  if (page.next) ctx.status.info(`more tags follow: --last ${page.next}`);

  const uses = output.kind === 'template' ? output.template.uses : undefined;
  const describe =
    (long && output.kind !== 'template') ||
    uses === 'all' ||
    [...(uses ?? [])].some((key) => !TAG_ITEM_CHEAP_FIELDS.includes(key));
  const selected = await selectTags(listing.tags, [...page.items].sort(compareVersions), filter, {
    describe,
    concurrency: DESCRIBE_CONCURRENCY,
  });
  const name = listing.name;

  const records = selected.map((s) => tagItem(name, s.tag, s.description));
  if (!long) {
    const tags = selected.map((s) => s.tag);
    printResult(ctx, output, { json: tagsJson(name, tags, page.next), records, text: tags });
    return undefined;
  }
  const rows = selected.flatMap((s) => (s.description ? [tagRowJson(s.description)] : []));
  // The table is laid out only when it is what gets printed.
  const table =
    output.kind === 'text' ? await tagTable(rows, ctx.colors.stdout, options.trunc === false) : '';
  printResult(ctx, output, { json: tagRowsJson(name, rows, page.next), records, text: table });
  return undefined;
}
