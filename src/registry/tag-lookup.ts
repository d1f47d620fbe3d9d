/**
 * Which of a few tags a repository has, asked for every manifest a copy moves (its referrers tag
 * and the legacy cosign tags, image/referrers.ts): from the repository's tag list, read once per
 * run, when it is short enough (one request for a repository of up to a thousand tags, instead of
 * four HEADs per manifest); a HEAD per tag asked when the list runs longer than a few pages.
 */
import { NotFoundError } from '../errors.js';
import type { RegistryClient } from './client.js';
import { headManifest } from './manifests.js';
import { listTags } from './tags.js';

/** Tag-list pages read before giving up on the list (a page is up to a thousand tags). */
const MAX_PAGES = 5;
const PAGE = 1000;

const lists = new WeakMap<RegistryClient, Map<string, Promise<Set<string> | undefined>>>();

/** Per client (one per registry per run): each repository's tags, as listed. */
function listsOf(client: RegistryClient): Map<string, Promise<Set<string> | undefined>> {
  let perClient = lists.get(client);
  if (!perClient) {
    perClient = new Map();
    lists.set(client, perClient);
  }
  return perClient;
}

/** The repository's tags, or undefined when there are too many to list cheaply. */
function tagList(client: RegistryClient, repository: string): Promise<Set<string> | undefined> {
  const perClient = listsOf(client);
  let list = perClient.get(repository);
  if (!list) {
    list = readList(client, repository);
    perClient.set(repository, list);
  }
  return list;
}

async function readList(client: RegistryClient, repository: string): Promise<Set<string> | undefined> {
  const tags = new Set<string>();
  let last: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    let result: Awaited<ReturnType<typeof listTags>>;
    try {
      result = await listTags(client, repository, { limit: PAGE, last });
    } catch (err) {
      if (err instanceof NotFoundError) return tags;
      throw err;
    }
    for (const tag of result.items) tags.add(tag);
    if (result.next === undefined) return tags;
    last = result.next;
  }
  return undefined;
}

/**
 * Every tag of the repository (every page), also kept for hasTag in this run: a copy planned from
 * a listing (sync, copy -a) then looks its manifests' referrers tags up without listing again
 * (sync-cold listed each source repository twice).
 */
export async function listEveryTag(client: RegistryClient, repository: string): Promise<string[]> {
  const { items } = await listTags(client, repository);
  const perClient = listsOf(client);
  if (!perClient.has(repository)) perClient.set(repository, Promise.resolve(new Set(items)));
  return items;
}

/** Whether `tag` names a manifest in `repository`. */
export async function hasTag(client: RegistryClient, repository: string, tag: string): Promise<boolean> {
  const list = await tagList(client, repository);
  if (list) return list.has(tag);
  return (await headManifest(client, repository, tag)) !== undefined;
}
