import { parseRegistryHost } from '../ref/index.js';
import { listCatalog } from '../registry/catalog.js';
import { catalogItem, catalogItemShape, catalogJson } from '../ui/shapes/index.js';
import { formatOption, jsonOption, lastOption, limitOption } from './options.js';
import { outputChoice, printResult } from './print.js';
import { defineCommand } from './spec.js';

export const catalog = defineCommand({
  name: 'catalog',
  summary: 'List the repositories of a registry',
  args: ['<host>'],
  options: [limitOption, lastOption, jsonOption, formatOption(catalogItemShape, 'each repository')],
  examples: [
    'ferry catalog registry.example.com',
    'ferry catalog localhost:5000 --limit 100 --last team/app',
    'ferry catalog ghcr.io --json',
    "ferry catalog localhost:5000 --format '{{.Registry}}/{{.Repository}}'",
  ],
  async run(ctx, [host], options) {
    const output = outputChoice(options.json, options.format);
    const registry = parseRegistryHost(host ?? '');
    const page = await listCatalog(ctx.client(registry), {
      limit: options.limit,
      last: options.last,
    });
    printResult(ctx, output, {
      json: catalogJson(registry, page.items, page.next),
      records: page.items.map((name) => catalogItem(registry, name)),
      text: page.items,
    });
    if (page.next) ctx.status.info(`more repositories follow: --last ${page.next}`);
    return undefined;
  },
});
