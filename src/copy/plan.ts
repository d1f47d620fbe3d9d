/**
 * Plans for runs of many images (many.ts): which images to copy where. `copy -a` copies every tag
 * of one repository into another.
 */
import { UsageError } from '../errors.js';
import { isReferrersTag } from '../image/referrers.js';
import { formatReference, parseRepository, type Reference } from '../ref/index.js';
import type { RegistryClient } from '../registry/client.js';
import { listEveryTag } from '../registry/tag-lookup.js';
import type { CopyItem } from './many.js';

/**
 * A repository for `copy -a`: `[docker://]host/repo`. A tag or digest is refused, not dropped
 * (the user meant something else than every tag), and so is a file location.
 */
function repositoryOf(input: string, side: 'source' | 'destination'): Reference {
  if (/^(oci|oci-archive|docker-archive):/.test(input))
    throw new UsageError(`copy --all-tags copies between registries: the ${side} '${input}' is a file`);
  return parseRepository(input.replace(/^docker:\/\//, ''));
}

/** The two repositories of `copy -a FROM TO`, checked before any request. */
export function allTagsRepositories(from: string, to: string): { source: Reference; destination: Reference } {
  return { source: repositoryOf(from, 'source'), destination: repositoryOf(to, 'destination') };
}

/**
 * Every tag of the source repository, each to the same tag in the destination, in the registry's
 * tag order. With `referrers` (-r), the referrers tags and legacy cosign tags (`sha256-<hex>[.sig]`)
 * are left out: they travel with the image they name, and copying them as images too would race
 * with that.
 */
export async function planAllTags(
  client: (registry: string) => RegistryClient,
  { source, destination }: { source: Reference; destination: Reference },
  options: { referrers?: boolean } = {},
): Promise<CopyItem[]> {
  const listed = await listEveryTag(client(source.registry), source.repository);
  const tags = options.referrers ? listed.filter((tag) => !isReferrersTag(tag)) : listed;
  return tags.map((tag) => ({
    source: { kind: 'registry', ref: { registry: source.registry, repository: source.repository, tag } },
    destination: {
      kind: 'registry',
      ref: { registry: destination.registry, repository: destination.repository, tag },
    },
    label: formatReference({ ...destination, tag }),
  }));
}
