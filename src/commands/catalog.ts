import { parseRegistryHost } from '../ref/index.js';
import { listCatalog } from '../registry/catalog.js';
import { catalogItem, catalogItemShape, catalogJson } from '../ui/shapes/index.js';
import { formatOption, jsonOption, lastOption, limitOption, outputChoice } from './options.js';
import type { CommandSpec } from './spec.js';

export const catalog: CommandSpec = {
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
    const output = outputChoice(options);
    const registry = parseRegistryHost(host ?? '');
    const page = await listCatalog(ctx.client(registry), {
      limit: options['limit'] as number | undefined,
      last: options['last'] as string | undefined,
    });
    if (output.kind === 'json') ctx.out.json(catalogJson(registry, page.items, page.next));
    else if (output.kind === 'template')
      ctx.out.template(
        output.template,
        page.items.map((name) => catalogItem(registry, name)),
      );
    else ctx.out.lines(page.items);
    if (page.next) ctx.status.info(`more repositories follow: --last ${page.next}`);
    return undefined;
  },
};
