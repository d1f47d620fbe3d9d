/**
 * The referrers of a manifest on a registry (opencontainers/distribution-spec spec.md, "Listing
 * Referrers" end-12a/12b, "Unavailable Referrers API", "Referrers Tag Schema"), by the API where
 * the registry serves it, else by the referrers tag (`sha256-<hex>`) clients keep up to date.
 *
 * Support is decided by asking the endpoint, once per registry and repository per run: a `200`
 * that is an OCI image index means the API; anything else (Distribution 2.8 answers
 * `404 page not found`) means the tag. The `OCI-Subject` header on a manifest PUT is not taken as
 * proof: ECR sent it without serving the API (sigstore/sigstore-js#1183), and a client trusting
 * it would stop keeping the tag there. A `404 NAME_UNKNOWN` says the repository does not exist yet
 * and decides nothing.
 *
 * The referrers tag is only read as a list when it is one (image/referrers.ts readReferrersIndex:
 * GitLab serves the subject itself there), and never overwritten when it is something else.
 * Updates merge with what is there, and updates of one tag within this run are queued and applied
 * together, so concurrent referrers of one subject are not lost to each other. (Other clients
 * updating the same tag at the same moment can still race: the spec leaves that to clients and
 * registries without the API; Distribution has no conditional PUT to close it.)
 */
import { InvalidContentError, NotFoundError } from '../errors.js';
import { readBody } from '../http/body.js';
import { header } from '../http/types.js';
import type { Descriptor } from '../image/descriptor.js';
import { checkDescriptor, MAX_MANIFEST_BYTES, parseManifest } from '../image/manifest.js';
import { MediaType } from '../image/media-types.js';
import { mergeReferrers, readReferrersIndex, referrersIndexBytes, referrersTag } from '../image/referrers.js';
import type { RegistryClient } from './client.js';
import { nextPageUrl } from './link-header.js';
import { getManifest, putManifest } from './manifests.js';
import { pageGuard } from './pages.js';

export type ReferrersSupport = 'api' | 'tag';

/** Pages of one referrers listing followed at most: a registry that pages forever is refused. */
const MAX_PAGES = 100;
/** Referrers of one manifest read at most, over every page. */
export const MAX_REFERRERS = 10_000;

/** Per client (one per registry per run): each repository's answer, once known. */
const supportCache = new WeakMap<RegistryClient, Map<string, ReferrersSupport>>();

function cacheOf(client: RegistryClient): Map<string, ReferrersSupport> {
  let cache = supportCache.get(client);
  if (!cache) {
    cache = new Map();
    supportCache.set(client, cache);
  }
  return cache;
}

/**
 * Per client: the first request of each repository whose answer is not known yet, while it runs.
 * Images of one repository are copied side by side (sync, copy -a): the others wait for it
 * instead of each probing the endpoint (sync-cold's 200 tags sent 91 probes for 40 repositories).
 */
const probes = new WeakMap<RegistryClient, Map<string, Promise<void>>>();

function probesOf(client: RegistryClient): Map<string, Promise<void>> {
  let map = probes.get(client);
  if (!map) {
    map = new Map();
    probes.set(client, map);
  }
  return map;
}

/** What is known of the repository's referrers API without asking: undefined until asked. */
export function knownSupport(client: RegistryClient, repository: string): ReferrersSupport | undefined {
  return cacheOf(client).get(repository);
}

type ApiAnswer = { kind: 'api'; referrers: Descriptor[] } | { kind: 'no-api' } | { kind: 'no-repository' };

/** One page of GET /v2/<name>/referrers/<digest>, classified. */
async function apiPage(
  client: RegistryClient,
  url: string | URL,
  what: string,
  scopes: readonly string[],
): Promise<{ answer: ApiAnswer; next: URL | undefined }> {
  const req = { method: 'GET' as const, path: url, scopes, retry: false };
  return client.retrier.run(what, async () => {
    const res = await client.request(req);
    if (res.status === 401 || res.status === 403 || res.status >= 500 || res.status === 429)
      throw await client.error(req.method, res, what);
    if (res.status === 404) {
      const err = await client.error(req.method, res, what);
      return { answer: { kind: err.hasCode('NAME_UNKNOWN') ? 'no-repository' : 'no-api' }, next: undefined };
    }
    const type = header(res.headers, 'content-type')?.split(';')[0]?.trim();
    if (res.status !== 200 || type !== MediaType.ociIndex) {
      await res.body.dump();
      return { answer: { kind: 'no-api' }, next: undefined };
    }
    const bytes = await readBody(res, MAX_MANIFEST_BYTES, what);
    const referrers = parseReferrersList(bytes, what);
    return { answer: { kind: 'api', referrers }, next: nextPageUrl(res.headers['link'], res.url) };
  });
}

/** A referrers API answer: an image index; only its `manifests` matter. */
function parseReferrersList(bytes: Buffer, what: string): Descriptor[] {
  let doc: unknown;
  try {
    doc = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new InvalidContentError(`${what}: the registry's answer is not JSON`);
  }
  const list = (doc as { manifests?: unknown } | null)?.manifests;
  // An empty list may come as null from some registries.
  if (list === null || list === undefined) return [];
  if (!Array.isArray(list)) throw new InvalidContentError(`${what}: "manifests" is not a list`);
  return list.map((d, i) => checkDescriptor(d, `${what} (manifests[${i}])`));
}

/**
 * The referrers of `digest` by the API, every page (Link rel="next"), or undefined when the
 * repository's registry does not serve the API. Asking is how support is found out (see the file
 * comment); the answer is kept for the repository.
 */
export async function referrersByApi(
  client: RegistryClient,
  repository: string,
  digest: string,
  scopes: readonly string[],
  artifactType?: string,
): Promise<Descriptor[] | undefined> {
  const cache = cacheOf(client);
  const running = probesOf(client);
  // Wait for a probe under way. One that failed or was inconclusive (no such repository yet)
  // decides nothing: then the first waiter to wake probes, and the others wait for it.
  for (let probe = running.get(repository); probe; probe = running.get(repository)) await probe;
  if (cache.get(repository) === 'tag') return undefined;
  if (cache.has(repository)) return listByApi(client, repository, digest, scopes, artifactType);
  const probe = listByApi(client, repository, digest, scopes, artifactType);
  const settled = probe.then(
    () => undefined,
    () => undefined,
  );
  running.set(repository, settled);
  try {
    return await probe;
  } finally {
    running.delete(repository);
  }
}

async function listByApi(
  client: RegistryClient,
  repository: string,
  digest: string,
  scopes: readonly string[],
  artifactType: string | undefined,
): Promise<Descriptor[] | undefined> {
  const cache = cacheOf(client);
  const what = `referrers of ${client.registry}/${repository}@${digest}`;
  const first = new URL(`/v2/${repository}/referrers/${digest}`, await client.baseUrl());
  if (artifactType !== undefined) first.searchParams.set('artifactType', artifactType);
  const referrers: Descriptor[] = [];
  const guard = pageGuard(what, MAX_PAGES);
  let url: URL | undefined = first;
  while (url) {
    const page = guard(url);
    const { answer, next } = await apiPage(client, url, what, scopes);
    if (answer.kind === 'no-repository') {
      if (page === 1) throw new NotFoundError(`repository ${client.registry}/${repository} not found`);
      break;
    }
    if (answer.kind === 'no-api') {
      if (page > 1) throw new InvalidContentError(`${what}: a later page is not a referrers list`);
      cache.set(repository, 'tag');
      return undefined;
    }
    cache.set(repository, 'api');
    referrers.push(...answer.referrers);
    if (referrers.length > MAX_REFERRERS)
      throw new InvalidContentError(`${what}: more than ${MAX_REFERRERS} referrers; refusing to read on`);
    url = next;
  }
  // A registry may ignore the filter (it says which it applied in OCI-Filters-Applied): applied
  // again here, it costs nothing either way.
  return artifactType === undefined ? referrers : referrers.filter((d) => d.artifactType === artifactType);
}

/** Whether the repository's registry serves the referrers API, found out with one request (then known). */
export async function referrersSupport(
  client: RegistryClient,
  repository: string,
  digest: string,
  scopes: readonly string[],
): Promise<ReferrersSupport> {
  const known = knownSupport(client, repository);
  if (known) return known;
  try {
    return (await referrersByApi(client, repository, digest, scopes)) === undefined ? 'tag' : 'api';
  } catch (err) {
    // A repository that does not exist has no referrers yet, whatever the registry serves.
    if (err instanceof NotFoundError) return 'tag';
    throw err;
  }
}

/**
 * The referrers list kept under the referrers tag of `subject`: [] when the tag is absent; when it
 * holds anything else than a referrers index (GitLab's answer is the subject itself), the problem.
 */
export async function readReferrersTag(
  client: RegistryClient,
  repository: string,
  subject: string,
): Promise<{ referrers: Descriptor[]; digest?: string } | { problem: string }> {
  const tag = referrersTag(subject);
  let fetched: Awaited<ReturnType<typeof getManifest>>;
  try {
    fetched = await getManifest(client, repository, tag);
  } catch (err) {
    if (err instanceof NotFoundError) return { referrers: [] };
    throw err;
  }
  let read: ReturnType<typeof readReferrersIndex>;
  try {
    const parsed = parseManifest(
      fetched.bytes,
      fetched.mediaType,
      `manifest ${client.registry}/${repository}:${tag}`,
    );
    read = readReferrersIndex(parsed, fetched.digest, subject);
  } catch (err) {
    if (err instanceof InvalidContentError) return { problem: 'it is not a manifest ferry can read' };
    throw err;
  }
  return 'problem' in read ? read : { referrers: read.referrers, digest: fetched.digest };
}

/** Updates of one referrers tag, queued: whatever arrives while one is under way goes into the next. */
interface TagUpdates {
  pending: { descriptors: readonly Descriptor[]; done: (err?: unknown) => void }[];
  running: boolean;
}

const updates = new WeakMap<RegistryClient, Map<string, TagUpdates>>();

/**
 * Adds `descriptors` (referrers of `subject`, already in the repository) to the referrers tag's
 * index: read it, merge, and PUT it only when something was added ("Pushing Manifests with
 * Subject"). A tag that holds anything but a referrers index is left alone and the update fails
 * with InvalidContentError (exit 7): the referrers are in the registry, but cannot be found by tag.
 */
export function addToReferrersTag(
  client: RegistryClient,
  repository: string,
  subject: string,
  descriptors: readonly Descriptor[],
): Promise<void> {
  let perClient = updates.get(client);
  if (!perClient) {
    perClient = new Map();
    updates.set(client, perClient);
  }
  const key = `${repository}\0${subject}`;
  let queue = perClient.get(key);
  if (!queue) {
    queue = { pending: [], running: false };
    perClient.set(key, queue);
  }
  const state = queue;
  const result = new Promise<void>((resolve, reject) => {
    state.pending.push({ descriptors, done: (err) => (err === undefined ? resolve() : reject(err)) });
  });
  if (!state.running) void drain(client, repository, subject, state);
  return result;
}

async function drain(client: RegistryClient, repository: string, subject: string, state: TagUpdates) {
  state.running = true;
  while (state.pending.length > 0) {
    const batch = state.pending.splice(0);
    try {
      await updateOnce(
        client,
        repository,
        subject,
        batch.flatMap((b) => b.descriptors),
      );
      for (const b of batch) b.done();
    } catch (err) {
      for (const b of batch) b.done(err);
    }
  }
  state.running = false;
}

async function updateOnce(
  client: RegistryClient,
  repository: string,
  subject: string,
  added: readonly Descriptor[],
): Promise<void> {
  const tag = referrersTag(subject);
  const current = await readReferrersTag(client, repository, subject);
  if ('problem' in current) {
    throw new InvalidContentError(
      `${client.registry}/${repository}:${tag} is not a referrers index (${current.problem}); left as it is, so the referrers of ${subject} cannot be found by tag there`,
    );
  }
  const { referrers, changed } = mergeReferrers(current.referrers, added);
  if (!changed) return;
  await putManifest(client, repository, tag, referrersIndexBytes(referrers), MediaType.ociIndex);
}
