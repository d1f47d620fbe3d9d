import { eraseCredentials } from '../auth/credential-store.js';
import { parseRegistryHost } from '../ref/index.js';
import { defineCommand } from './spec.js';

/** Exit 0 also when there was nothing to remove, like docker: the wanted state is reached. */
export const logout = defineCommand({
  name: 'logout',
  summary: 'Remove the stored credentials of a registry (credential helper or config.json)',
  args: ['<host>'],
  options: [],
  examples: ['ferry logout registry.example.com', 'ferry logout docker.io'],
  async run(ctx, [host]) {
    const registry = parseRegistryHost(host ?? '');
    const result = await eraseCredentials(registry, { env: ctx.env });
    const removed: string[] = [];
    if (result.helper?.erased) removed.push(`credential helper ${result.helper.program}`);
    if (result.removedKeys.length > 0) removed.push(result.path);
    ctx.status.info(
      removed.length > 0
        ? `removed the credentials of ${registry} from ${removed.join(' and ')}`
        : `not logged in to ${registry}: nothing to remove${result.helper ? ` (${result.helper.program} had none)` : ''}`,
    );
    return undefined;
  },
});
