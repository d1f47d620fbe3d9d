import { formatRepository, parseRepository } from '../ref/index.js';
import { describeTag } from '../registry/describe.js';
import { listTags } from '../registry/tags.js';
import { humanSize, renderTable } from '../ui/table.js';
import { mapLimit } from '../util/limit.js';
import { jsonOption, lastOption, limitOption } from './options.js';
import type { CommandSpec } from './spec.js';

/** Registries return tags in lexical or no order; people read versions: 1.9 before 1.10. */
const versionOrder = new Intl.Collator('en', { numeric: true, sensitivity: 'variant' }).compare;

/** Manifests and configs fetched at once by `ls -l`: enough to hide latency, few enough to be polite. */
const DESCRIBE_CONCURRENCY = 8;

export const ls: CommandSpec = {
  name: 'ls',
  aliases: ['tags'],
  summary: 'List the tags of a repository',
  args: ['<repository>'],
  options: [
    {
      flags: '-l, --long',
      description: 'show digest, media type, platforms, size and creation time per tag',
    },
    limitOption,
    lastOption,
    jsonOption,
  ],
  examples: [
    'ferry ls alpine',
    'ferry ls -l ghcr.io/org/app',
    'ferry ls localhost:5000/team/app --json | jq -r ".tags[]"',
  ],
  async run(ctx, [repository], options) {
    const ref = parseRepository(repository ?? '');
    const client = ctx.client(ref.registry);
    const page = await listTags(client, ref.repository, {
      limit: options['limit'] as number | undefined,
      last: options['last'] as string | undefined,
    });
    const tags = [...page.items].sort(versionOrder);
    if (page.next) ctx.status.info(`more tags follow: --last ${page.next}`);

    if (!options['long']) {
      if (options['json']) ctx.out.json({ repository: formatRepository(ref), tags });
      else ctx.out.lines(tags);
      return undefined;
    }
    const rows = await mapLimit(tags, DESCRIBE_CONCURRENCY, (tag) =>
      describeTag(client, ref.repository, tag, DESCRIBE_CONCURRENCY),
    );
    if (options['json']) {
      ctx.out.json(rows.map((r) => ({ ...r, created: r.created ?? null })));
      return undefined;
    }
    const table = await renderTable(
      ['TAG', 'DIGEST', 'MEDIA TYPE', 'PLATFORMS', 'SIZE', 'CREATED'],
      rows.map((r) => [
        r.tag,
        r.digest,
        r.mediaType,
        r.platforms.join(',') || '-',
        humanSize(r.size),
        r.created ?? '-',
      ]),
    );
    if (table) ctx.out.line(table);
    return undefined;
  },
};
