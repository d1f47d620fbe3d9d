/** GET /v2/<name>/tags/list (distribution-spec end-8a/8b), every page or one by hand. */
import { repositoryScope } from '../auth/scope.js';
import { NotFoundError } from '../errors.js';
import type { RegistryClient } from './client.js';
import { fetchPages, type PageOptions, type PageResult, pageOf } from './pages.js';

export async function listTags(
  client: RegistryClient,
  repository: string,
  options: PageOptions = {},
): Promise<PageResult> {
  const what = `tags of ${client.registry}/${repository}`;
  const result = await fetchPages(
    client,
    `/v2/${repository}/tags/list`,
    'tags',
    [repositoryScope(repository, ['pull'])],
    what,
    options,
    (res, err) =>
      res.status === 404
        ? new NotFoundError(`repository ${client.registry}/${repository} not found`, { cause: err })
        : err,
  );
  if (options.limit === undefined && options.last === undefined) return result;
  // Distribution 2.8 ignores n and last on tags/list (shared/lab/LAB.md §5): apply them here too.
  return pageOf(result.items, options, result.next);
}
