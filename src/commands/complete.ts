/**
 * Live candidates for shell completion: the completion scripts call `ferry __complete COMMAND
 * WHAT CURRENT` (completion-script.ts) for an argument they cannot complete from the table.
 *
 *   REPO:PARTIAL    the repository's tags         ferry pull localhost:5000/team/app:<TAB>
 *   HOST/PARTIAL    the registry's repositories   ferry ls localhost:5000/te<TAB>
 *                   under the path typed so far   ferry ls localhost:5000/team/<TAB>
 *
 * A `docker://` prefix (copy's transport syntax) is kept. Requests use the user's own credentials
 * (config.json, helpers) and cli.ts bounds the whole answer to a couple of seconds; any failure
 * means no candidates, never an error printed into the user's command line.
 */
import type { Context } from '../context.js';
import { parseRegistryHost, parseRepository } from '../ref/index.js';
import { listCatalog } from '../registry/catalog.js';
import { listTags } from '../registry/tags.js';
import { SHELLS } from './completion-script.js';

/** Tags or repositories offered at most; a completion menu of thousands helps nobody. */
const MAX_CANDIDATES = 1000;

/** Argument placeholders that name a local file, never a registry. */
const LOCAL_ARGS = new Set(['[file]', '<file>', '[file...]', '<file...>']);

export async function completeWord(
  ctx: Context,
  command: string,
  what: string,
  current: string,
): Promise<string[]> {
  if (command === 'completion' && what === '<shell>') return [...SHELLS];
  if (command === 'artifact' && what === '<push|pull>') return ['push', 'pull'];
  if (LOCAL_ARGS.has(what) || what.startsWith('-')) return [];
  const transport = current.startsWith('docker://') ? 'docker://' : '';
  const word = current.slice(transport.length);
  const slash = word.lastIndexOf('/');
  const colon = word.lastIndexOf(':');
  if (colon > slash && (slash >= 0 || !looksLikeHost(word.slice(0, colon)))) {
    const name = word.slice(0, colon);
    return (await tagsOf(ctx, name)).map((tag) => `${transport}${name}:${tag}`);
  }
  const first = word.indexOf('/');
  if (first > 0 && looksLikeHost(word.slice(0, first))) {
    const host = word.slice(0, first);
    const path = word.slice(first + 1);
    return (await repositoriesOf(ctx, host, path)).map((repo) => `${transport}${host}/${repo}`);
  }
  return [];
}

/** A first element that names a registry rather than a Docker Hub namespace (the distribution rule). */
function looksLikeHost(element: string): boolean {
  return element.includes('.') || element.includes(':') || element === 'localhost' || element.startsWith('[');
}

async function tagsOf(ctx: Context, name: string): Promise<string[]> {
  const ref = parseRepository(name);
  const page = await listTags(ctx.client(ref.registry), ref.repository);
  return page.items.slice(0, MAX_CANDIDATES);
}

/**
 * The repositories whose names start with `prefix` (`team/` gives `team/app`, `team/api`…). The
 * catalog is in lexical order, so the page starts just before the prefix (`last`) rather than at
 * the first repository: a namespace deep in a large registry is still reached in one request.
 */
async function repositoriesOf(ctx: Context, host: string, prefix: string): Promise<string[]> {
  const registry = parseRegistryHost(host);
  const last = prefix === '' ? undefined : prefix.slice(0, -1) || undefined;
  const page = await listCatalog(ctx.client(registry), { limit: MAX_CANDIDATES, last });
  return page.items.filter((name) => name.startsWith(prefix));
}
