/**
 * From the sync file to the images to mirror: each entry becomes repositories (a `registry` entry
 * through the source's catalog, paginated, read once per registry), the repositories are narrowed
 * by `--filter` and `--shard`, and each is listed once (one tag listing per repository) and its
 * tags passed through the entry's rules. Nothing here writes, and nothing per tag is asked yet:
 * whether a tag is in step is the run's business (run.ts), under the run's pool.
 *
 * A source that cannot be listed (no such repository, a catalog refused) is one failed record
 * for that entry or repository; the rest of the plan goes on.
 */
import { UsageError } from '../../errors.js';
import { isReferrersTag } from '../../image/referrers.js';
import { formatReference, type Reference } from '../../ref/index.js';
import { listCatalog } from '../../registry/catalog.js';
import type { RegistryClient } from '../../registry/client.js';
import { listEveryTag } from '../../registry/tag-lookup.js';
import type { Location } from '../../store/location.js';
import { mapLimit } from '../../util/limit.js';
import type { CopyItem } from '../many.js';
import type { RepositoryName, SyncEntry } from './config.js';
import { inShard, type Shard } from './shard.js';
import { selectTags } from './tags.js';

/** One image of the mirror: a tag (or digest) of a source repository and where it goes. */
export interface SyncItem extends CopyItem {
  entry: SyncEntry;
  /** `source` and `destination` as the registry references they always are in a mirror. */
  sourceRef: Reference;
  destinationRef: Reference;
}

export type PlanRecord =
  | { kind: 'image'; item: SyncItem }
  | { kind: 'filtered'; item: SyncItem; reason: string }
  /** A source that could not be listed; `item` names the repository (or the registry prefix). */
  | { kind: 'failed'; item: SyncItem; error: unknown };

export interface PlanOptions {
  client: (registry: string) => RegistryClient;
  shard?: Shard | undefined;
  /** --filter: repository globs; a source repository must match one (by `host/repo` or `repo`). */
  repositories?: readonly RegExp[] | undefined;
  /** Listings at once. */
  concurrency: number;
}

interface RepositoryJob {
  entry: SyncEntry;
  source: RepositoryName;
  target: RepositoryName;
}

const location = (ref: Reference): Location => ({ kind: 'registry', ref });

const itemOf = (
  entry: SyncEntry,
  source: Reference,
  destination: Reference,
  label = `${formatReference(source)} → ${formatReference(destination)}`,
): SyncItem => ({
  entry,
  source: location(source),
  destination: location(destination),
  sourceRef: source,
  destinationRef: destination,
  label,
});

/** A record for a repository or prefix as a whole (no tag). */
const wholeItem = (entry: SyncEntry, source: RepositoryName, target: RepositoryName): SyncItem =>
  itemOf(
    entry,
    { ...source },
    { ...target },
    `${entry.name}: ${source.registry}/${source.repository}`.replace(/\/$/, ''),
  );

export async function planSync(entries: readonly SyncEntry[], options: PlanOptions): Promise<PlanRecord[]> {
  const catalogs = new Map<string, Promise<string[]>>();
  const catalogOf = (registry: string): Promise<string[]> => {
    let listing = catalogs.get(registry);
    if (!listing) {
      listing = listCatalog(options.client(registry)).then((page) => page.items);
      catalogs.set(registry, listing);
    }
    return listing;
  };
  const wanted = (source: RepositoryName): boolean => {
    const full = `${source.registry}/${source.repository}`;
    const globs = options.repositories ?? [];
    if (globs.length > 0 && !globs.some((re) => re.test(full) || re.test(source.repository))) return false;
    return inShard(full, options.shard);
  };

  // Entries to repositories (and single images), in the file's order.
  const expanded = await mapLimit(
    entries,
    options.concurrency,
    async (entry): Promise<PlanRecord[] | RepositoryJob[]> => {
      if (entry.type === 'image') {
        const { source, target } = entry;
        if (!wanted(source)) return [];
        return [{ kind: 'image', item: itemOf(entry, source, target) }];
      }
      if (entry.type === 'repository')
        return wanted(entry.source) ? [{ entry, source: entry.source, target: entry.target }] : [];
      try {
        const names = await catalogOf(entry.source.registry);
        return underPrefix(names, entry.source.repository)
          .map((rest) => ({
            entry,
            source: { registry: entry.source.registry, repository: join(entry.source.repository, rest) },
            target: { registry: entry.target.registry, repository: join(entry.target.repository, rest) },
          }))
          .filter((job) => job.target.repository !== '' && wanted(job.source));
      } catch (error) {
        return [{ kind: 'failed', item: wholeItem(entry, entry.source, entry.target), error }];
      }
    },
  );

  // Repositories to tags: one listing each.
  const records = await mapLimit(expanded.flat(), options.concurrency, async (job): Promise<PlanRecord[]> => {
    if ('kind' in job) return [job];
    const { entry, source, target } = job;
    let tags: string[];
    try {
      tags = await listEveryTag(options.client(source.registry), source.repository);
    } catch (error) {
      return [{ kind: 'failed', item: wholeItem(entry, source, target), error }];
    }
    // With referrers, the referrers tags (sha256-<hex>, cosign's .sig/.att/.sbom) travel with the
    // images they refer to (copy/referrers.ts), as with `copy -a -r`: not images of their own.
    const travelling = entry.referrers ? tags.filter(isReferrersTag) : [];
    const { kept, filtered } = selectTags(
      entry.referrers ? tags.filter((tag) => !isReferrersTag(tag)) : tags,
      entry.tags,
    );
    const item = (tag: string) => itemOf(entry, { ...source, tag }, { ...target, tag });
    return [
      ...kept.map((tag): PlanRecord => ({ kind: 'image', item: item(tag) })),
      ...filtered.map((f): PlanRecord => ({ kind: 'filtered', item: item(f.tag), reason: f.reason })),
      ...travelling.map(
        (tag): PlanRecord => ({
          kind: 'filtered',
          item: item(tag),
          reason: 'a referrers tag: goes with its image',
        }),
      ),
    ];
  });
  return dedupe(records.flat());
}

/** The rest of each repository name under `prefix` ('' for every one): '' for the prefix itself. */
function underPrefix(names: readonly string[], prefix: string): string[] {
  if (prefix === '') return [...names];
  return names.flatMap((name) =>
    name === prefix ? [''] : name.startsWith(`${prefix}/`) ? [name.slice(prefix.length + 1)] : [],
  );
}

const join = (prefix: string, rest: string): string =>
  prefix === '' ? rest : rest === '' ? prefix : `${prefix}/${rest}`;

/**
 * One image per destination tag: the same source named twice (a repository entry inside a
 * registry entry) is planned once; two sources for one destination tag would race, so the later
 * entry's is a failed record naming the first.
 */
function dedupe(records: readonly PlanRecord[]): PlanRecord[] {
  const planned = new Map<string, SyncItem>();
  const out: PlanRecord[] = [];
  for (const record of records) {
    if (record.kind !== 'image') {
      out.push(record);
      continue;
    }
    const { item } = record;
    const key = formatReference(item.destinationRef);
    const first = planned.get(key);
    if (!first) {
      planned.set(key, item);
      out.push(record);
      continue;
    }
    if (first.label === item.label) continue;
    out.push({
      kind: 'failed',
      item,
      error: new UsageError(`${key} is also the target of ${first.entry.name}: ${first.label}`),
    });
  }
  return out;
}
