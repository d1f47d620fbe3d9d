/**
 * Deleting images and tags (distribution-spec "Deleting tags" / "Deleting manifests", end-9).
 *
 * By digest: DELETE the manifest; the registry drops every tag pointing at it. An index in the
 * repository that lists it as a child would be left naming a missing manifest: the plan says which.
 * By tag: the OCI tag DELETE first. Registries that refuse it (Distribution 2.8 answers 400
 * DIGEST_INVALID) get regclient's workaround: point the tag at a unique throw-away manifest and
 * delete that by digest, so the image and its other tags survive. If that final DELETE is
 * refused, the tag is put back where it was.
 */
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { repositoryScope } from '../auth/scope.js';
import { digestOf } from '../digest/index.js';
import { FerryError, NotFoundError } from '../errors.js';
import { RegistryError } from '../http/errors.js';
import { parseManifest } from '../image/manifest.js';
import { isIndexType, MediaType } from '../image/media-types.js';
import { formatReference, type Reference } from '../ref/index.js';
import { mapLimit } from '../util/limit.js';
import { blobExists } from './blobs.js';
import type { RegistryClient } from './client.js';
import { deleteManifest, getManifest, headManifest, putManifest } from './manifests.js';
import { listTags } from './tags.js';
import { uploadBlob } from './upload.js';

export interface DeletePlan {
  kind: 'digest' | 'tag';
  reference: string;
  /** What the tag points at, or the digest itself. */
  digest: string;
  /**
   * By digest: the tags of the repository's indexes that name the manifest as a child. Deleting
   * it leaves each of them naming a manifest that is gone (a pull of that platform then fails),
   * so the command asks for --force. Empty for a tag delete, which leaves the image in place.
   */
  namedBy: string[];
}

function disabled(client: RegistryClient, err: RegistryError): FerryError {
  return new FerryError(
    'E_UNSUPPORTED',
    `${client.registry} refuses deletes (HTTP ${err.status}${err.diagnostics[0] ? ` ${err.diagnostics[0].code}` : ''})`,
    {
      hint: 'a self-hosted Distribution registry needs storage.delete.enabled: true; many hosted registries never allow deletes through the API',
      cause: err,
    },
  );
}

export async function planDelete(client: RegistryClient, ref: Reference): Promise<DeletePlan> {
  const reference = ref.digest ?? ref.tag ?? 'latest';
  const head = await headManifest(client, ref.repository, reference);
  if (!head) throw new NotFoundError(`manifest ${formatReference(ref)} not found`);
  const digest = ref.digest ?? head.digest ?? (await getManifest(client, ref.repository, reference)).digest;
  if (!ref.digest) return { kind: 'tag', reference, digest, namedBy: [] };
  return { kind: 'digest', reference, digest, namedBy: await indexesNaming(client, ref.repository, digest) };
}

/** Manifest reads in flight at once while looking for indexes: polite to the registry, as `ls -l` is. */
const INDEX_SCAN_CONCURRENCY = 8;

/**
 * The tags whose index (OCI index or Docker manifest list) lists `digest` among its manifests. A
 * HEAD per tag tells indexes from images by media type; only indexes are fetched. The registry
 * keeps no reverse links, so this is the only way to know; a registry that sends no media type on
 * HEAD gets a GET per tag.
 */
async function indexesNaming(client: RegistryClient, repository: string, digest: string): Promise<string[]> {
  const tags = (await listTags(client, repository)).items;
  const naming = await mapLimit(tags, INDEX_SCAN_CONCURRENCY, async (tag) => {
    const head = await headManifest(client, repository, tag);
    if (!head || head.digest === digest) return false;
    if (head.mediaType !== undefined && !isIndexType(head.mediaType)) return false;
    const fetched = await getManifest(client, repository, tag);
    const parsed = parseManifest(
      fetched.bytes,
      fetched.mediaType,
      `manifest ${client.registry}/${repository}:${tag}`,
    );
    return parsed.kind === 'index' && parsed.index.manifests.some((d) => d.digest === digest);
  });
  return tags.filter((_, i) => naming[i]).sort();
}

export async function deleteByPlan(client: RegistryClient, ref: Reference, plan: DeletePlan): Promise<void> {
  try {
    if (plan.kind === 'digest') {
      await deleteManifest(client, ref.repository, plan.digest);
      return;
    }
    try {
      await deleteManifest(client, ref.repository, plan.reference);
      return;
    } catch (err) {
      if (!(err instanceof RegistryError) || (err.status !== 400 && err.status !== 405)) throw err;
      if (err.status === 405 && err.hasCode('UNSUPPORTED')) throw err;
    }
    await deleteTagOnly(client, ref, plan);
  } catch (err) {
    if (err instanceof RegistryError && err.status === 405) throw disabled(client, err);
    throw err;
  }
}

/** The empty config OCI defines for artifacts (image-spec manifest.md, "Guidance for an Empty Descriptor"). */
const EMPTY_CONFIG = Buffer.from('{}');
/** What the throw-away manifest says it is, should anyone see it between its PUT and DELETE. */
const DELETE_TAG_ARTIFACT_TYPE = 'application/vnd.dev.ferry.delete-tag.v1';

async function deleteTagOnly(client: RegistryClient, ref: Reference, plan: DeletePlan): Promise<void> {
  const repository = ref.repository;
  const scopes = [repositoryScope(repository, ['pull', 'push', 'delete'])];
  const config = { mediaType: MediaType.ociEmpty, digest: digestOf(EMPTY_CONFIG), size: EMPTY_CONFIG.length };
  if (!(await blobExists(client, repository, config, scopes))) {
    await uploadBlob({ client, repository, scopes }, Readable.from([EMPTY_CONFIG]), {
      digest: config.digest,
      size: config.size,
    });
  }
  const throwaway = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.ociManifest,
      // image-spec manifest.md: artifactType MUST be set when the config is the empty descriptor.
      artifactType: DELETE_TAG_ARTIFACT_TYPE,
      config,
      layers: [],
      annotations: {
        'dev.ferry.delete-tag': `${plan.reference} ${new Date().toISOString()} ${randomUUID()}`,
      },
    }),
  );
  const original = await getManifest(client, repository, plan.digest);
  await putManifest(client, repository, plan.reference, throwaway, MediaType.ociManifest);
  try {
    await deleteManifest(client, repository, digestOf(throwaway));
  } catch (err) {
    // Put the tag back where it was before reporting the refusal.
    await putManifest(client, repository, plan.reference, original.bytes, original.mediaType).catch(() => {});
    throw err;
  }
}
