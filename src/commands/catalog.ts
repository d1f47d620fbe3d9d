import { parseRegistryHost } from '../ref/index.js';
import { listCatalog } from '../registry/catalog.js';
import { jsonOption, lastOption, limitOption } from './options.js';
import type { CommandSpec } from './spec.js';

export const catalog: CommandSpec = {
  name: 'catalog',
  summary: 'List the repositories of a registry',
  args: ['<host>'],
  options: [limitOption, lastOption, jsonOption],
  examples: [
    'ferry catalog registry.example.com',
    'ferry catalog localhost:5000 --limit 100 --last team/app',
    'ferry catalog ghcr.io --json',
  ],
  async run(ctx, [host], options) {
    const registry = parseRegistryHost(host ?? '');
    const limit = options['limit'] as number | undefined;
    const page = await listCatalog(ctx.client(registry), {
      limit,
      last: options['last'] as string | undefined,
    });
    if (options['json']) {
      ctx.out.json(limit === undefined ? page.items : { repositories: page.items, next: page.next ?? null });
    } else {
      ctx.out.lines(page.items);
    }
    if (page.next) ctx.status.info(`more repositories follow: --last ${page.next}`);
    return undefined;
  },
};
