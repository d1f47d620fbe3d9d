/**
 * The docker-archive format (`docker save` / `docker load`): the names and limits the source and
 * the destination share. Spec: moby/docker-image-spec v1.2, "Combined Image JSON + Filesystem Changeset Format".
 *
 * A tar holding `manifest.json`, a JSON array with one entry per image:
 *
 *   [{"Config": "<file>", "RepoTags": ["name:tag"], "Layers": ["<file>", ...]}]
 *
 * where Config names the image config and Layers the layer tars, bottom first, in the order of the
 * config's `rootfs.diff_ids`. Writers differ in where those files sit (features.md §5):
 * - classic `docker save`: `<hex>.json` and `<v1-id>/layer.tar`; skopeo: root-level `<diffid>.tar`
 *   with `<v1-id>/layer.tar` symlinks to them;
 * - Docker 25+: `blobs/sha256/<hex>` (an OCI layout in the same tar, index.json beside it);
 * - crane: config `sha256:<hex>`, layers gzip'd as `<hex>.tar.gz`.
 * Layers may be plain tars or gzip'd; `docker load` and skopeo decompress either (moby
 * tarexport/load.go runs every layer through DecompressStream).
 */
import { isDigest } from '../digest/index.js';
import { InvalidContentError, UsageError } from '../errors.js';
import { shown } from '../image/manifest.js';
import {
  familiarName,
  formatReference,
  formatRepository,
  parseReference,
  type Reference,
} from '../ref/index.js';
import { isObject } from '../util/is-object.js';

export const MANIFEST_JSON = 'manifest.json';
/** manifest.json is read into memory; a real one is a few hundred bytes per image. */
export const MAX_MANIFEST_JSON_BYTES = 4 * 1024 * 1024;
/** Image configs are read into memory too (history can make them large, never this large). */
export const MAX_CONFIG_BYTES = 16 * 1024 * 1024;

/** Docker's media type for an uncompressed layer (Image Manifest V2 Schema 2, "Layer"). */
export const DOCKER_LAYER_TAR = 'application/vnd.docker.image.rootfs.diff.tar';

/** One entry of manifest.json (moby tarexport `manifestItem`; Parent and LayerSources are not used). */
export interface ManifestItem {
  Config: string;
  RepoTags: string[];
  Layers: string[];
}

/** A tag for the archive, in the forms the files want it. */
export interface ArchiveName {
  /** manifest.json RepoTags / what `docker save` writes: the familiar form, `lab/x:v1`, `alpine:latest`. */
  repoTag: string;
  /** `repositories` key: the familiar repository, `lab/x`. */
  repository: string;
  tag: string;
  /** index.json `io.containerd.image.name`: the full form, `docker.io/library/alpine:latest`. */
  fullName: string;
}

function tagged(input: string): Reference & { tag: string } {
  const ref = parseReference(input);
  if (ref.digest !== undefined) {
    throw new UsageError(
      `docker-archive: '${input}' names a digest; an archive's images are named by tag (name:tag)`,
    );
  }
  return { ...ref, tag: ref.tag ?? 'latest' };
}

/**
 * Normalises a name for the archive: `lab/x:v1`, `docker.io/lab/x:v1` and `index.docker.io/lab/x:v1`
 * all become RepoTag `lab/x:v1` (docker saves FamiliarString; docker load and skopeo read either
 * form), and a missing tag becomes `latest`. Throws RefError on a bad name, UsageError on a digest.
 */
export function archiveName(input: string): ArchiveName {
  const ref = tagged(input);
  const bare = { registry: ref.registry, repository: ref.repository };
  return {
    repoTag: familiarName({ ...bare, tag: ref.tag }),
    repository: familiarName(bare),
    tag: ref.tag,
    fullName: formatReference({ ...bare, tag: ref.tag }),
  };
}

/** The canonical `registry/repository:tag` of a RepoTags entry or a user's REF, or undefined when it does not parse. */
export function canonicalTag(input: string): string | undefined {
  try {
    const ref = parseReference(input);
    if (ref.digest !== undefined || ref.tag === undefined) return undefined;
    return `${formatRepository(ref)}:${ref.tag}`;
  } catch {
    return undefined;
  }
}

/** An image config's rootfs.diff_ids, each a valid digest (`what` names the config in errors). */
export function readDiffIds(config: Buffer, what: string): string[] {
  let doc: unknown;
  try {
    doc = JSON.parse(config.toString('utf8'));
  } catch {
    throw new InvalidContentError(`${what} is not JSON`);
  }
  const rootfs = isObject(doc) ? doc['rootfs'] : undefined;
  const ids = isObject(rootfs) ? rootfs['diff_ids'] : undefined;
  if (!Array.isArray(ids)) throw new InvalidContentError(`${what} has no rootfs.diff_ids`);
  for (const id of ids) {
    if (typeof id !== 'string' || !isDigest(id)) {
      throw new InvalidContentError(`${what}: rootfs.diff_ids holds ${shown(id)}, not a digest`);
    }
  }
  return ids as string[];
}
