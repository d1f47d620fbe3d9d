/**
 * GET /v2/_catalog (distribution docs api.md "Listing Repositories"; not in the OCI spec, so
 * many registries refuse it). A refusal becomes a plain explanation rather than a raw 401/404.
 */
import { catalogScope } from '../auth/scope.js';
import { FerryError } from '../errors.js';
import { RegistryError } from '../http/errors.js';
import { isDockerHub } from '../ref/index.js';
import type { RegistryClient } from './client.js';
import { fetchPages, type PageOptions, type PageResult } from './pages.js';

export async function listCatalog(client: RegistryClient, options: PageOptions = {}): Promise<PageResult> {
  const host = client.registry;
  return fetchPages(
    client,
    '/v2/_catalog',
    'repositories',
    [catalogScope()],
    `catalog of ${host}`,
    options,
    (res, err) => {
      if (isDockerHub(host)) {
        return new FerryError('E_UNSUPPORTED', 'Docker Hub does not offer a repository catalog', {
          hint: "list one repository's tags with 'ferry ls REPO'",
          cause: err,
        });
      }
      if (
        (res.status === 401 || res.status === 403) &&
        err instanceof RegistryError &&
        err.authProblem === 'denied'
      ) {
        return new FerryError('E_AUTH', `${host} refused to list its repositories (HTTP ${res.status})`, {
          hint: 'the catalog needs registry:catalog:* access; log in as a user who has it',
          cause: err,
        });
      }
      if (res.status === 404 || res.status === 405) {
        return new FerryError(
          'E_UNSUPPORTED',
          `${host} does not offer a repository catalog (HTTP ${res.status})`,
          { cause: err },
        );
      }
      return err;
    },
  );
}
