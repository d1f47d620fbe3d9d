/**
 * The walk `append` and `mutate` share: every image of a base (one manifest, or each platform of an
 * index, or those `--platform` names) gets a new config and manifest from one edit; everything else
 * is kept, and the result is a BuiltSource the engine pushes.
 *
 * - An image's layers are never touched: the new manifest names them as they were (plus any layers
 *   the edit adds), and the built source serves them from the base, where the engine mounts or
 *   skips them.
 * - An edit that changes nothing leaves the manifest's bytes, and digest, as they were: re-running
 *   `mutate --label a=b` on its own output is a no-op.
 * - Of an index, the platforms not chosen are kept as they are, with their attestations. The
 *   BuildKit attestations (provenance, SBOM) of a changed image are dropped: they describe the
 *   image as it was built, and a new digest in their place would claim it for an image they never
 *   saw (next-features.md B2.3).
 * - An artifact (a manifest whose config is not an image config) is refused as a base; inside an
 *   index it is kept as it is.
 */

import { checkImagePlatform, pickChildren } from '../copy/platforms.js';
import { REFERENCE_DIGEST_ANNOTATION, rebuildIndex } from '../copy/rebuild.js';
import { digestOf } from '../digest/index.js';
import { UsageError } from '../errors.js';
import type { Descriptor, Platform } from '../image/descriptor.js';
import { type ImageIndex, type ImageManifest, parseManifest } from '../image/manifest.js';
import { isIndexType, MediaType } from '../image/media-types.js';
import { formatPlatform, isAttestation } from '../image/platform.js';
import type { ImageSource, StoredManifest } from '../store/store.js';
import type { BuiltSource } from './built-source.js';
import { type ConfigDoc, configPlatform, isImageConfigType, parseConfig } from './config-edit.js';
import type { LayerFile } from './layer-file.js';
import { readSmallBlob } from './read-blob.js';

export interface ImageEdit {
  /** Changes one image's config in place; `what` names it for messages. */
  editConfig(doc: ConfigDoc, what: string): void;
  /** Layers put on top of every image changed (the same blobs for each). */
  layers: readonly LayerFile[];
  /** Set on every manifest written, and on a rebuilt index. */
  annotations?: Readonly<Record<string, string>> | undefined;
}

export interface ChangedImage {
  platform: string | undefined;
  /** The image before the change; absent for one built from scratch. */
  from?: Descriptor | undefined;
  to: Descriptor;
}

export interface RewriteResult {
  /** The root the destination tag will name. */
  root: StoredManifest;
  changed: ChangedImage[];
  /** Attestation manifests left out because the image they describe changed. */
  dropped: Descriptor[];
}

/** The layer media type that goes with a manifest's family: Docker's for Docker manifests. */
function layerTypeFor(manifestType: string): string {
  return manifestType === MediaType.dockerManifest ? MediaType.dockerLayerGzip : MediaType.ociLayerGzip;
}

const canonical = (doc: unknown): string => JSON.stringify(doc);

/** New bytes for a document whose fields were edited, or undefined when nothing changed. */
function reserialized(original: Uint8Array, doc: unknown): Buffer | undefined {
  const before = canonical(JSON.parse(Buffer.from(original).toString('utf8')));
  const after = canonical(doc);
  return before === after ? undefined : Buffer.from(after);
}

function withAnnotations(doc: Record<string, unknown>, annotations: ImageEdit['annotations']): void {
  if (annotations === undefined || Object.keys(annotations).length === 0) return;
  const current = doc['annotations'];
  doc['annotations'] = {
    ...(typeof current === 'object' && current !== null ? current : {}),
    ...annotations,
  };
}

/**
 * Applies `edit` to the image `manifest` (bytes `bytes`, from `base`) and records what it makes in
 * `built`. Returns the manifest's new descriptor, or the old one when nothing changed.
 */
async function rewriteImage(
  base: ImageSource,
  built: BuiltSource,
  stored: StoredManifest,
  manifest: ImageManifest,
  edit: ImageEdit,
  what: string,
  platforms: readonly Platform[] | undefined,
): Promise<{ descriptor: Descriptor; bytes: Buffer; platform: Platform | undefined }> {
  const config = manifest.config;
  if (!isImageConfigType(config.mediaType))
    throw new UsageError(
      `${what} is an artifact (its config is ${config.mediaType}), not an image: there is nothing to change`,
    );
  const configBytes = await readSmallBlob(base, config, `config of ${what}`);
  const doc = parseConfig(configBytes, `config of ${what}`);
  const platform = configPlatform(doc);
  if (platforms !== undefined && platforms.length > 0) checkImagePlatform(platform, platforms, what);
  edit.editConfig(doc, what);
  for (const layer of manifest.layers) built.adopt(layer, base);
  const newConfig = reserialized(configBytes, doc);
  const configDescriptor: Descriptor =
    newConfig === undefined ? config : { ...config, digest: digestOf(newConfig), size: newConfig.length };
  if (newConfig === undefined) built.adopt(config, base);
  else built.addBlob(configDescriptor, { bytes: newConfig });

  const manifestDoc = JSON.parse(stored.bytes.toString('utf8')) as Record<string, unknown>;
  const layerType = layerTypeFor(stored.descriptor.mediaType);
  manifestDoc['config'] = configDescriptor;
  manifestDoc['layers'] = [
    ...manifest.layers,
    ...edit.layers.map((l) => ({ ...l.descriptor, mediaType: layerType })),
  ];
  withAnnotations(manifestDoc, edit.annotations);
  const newManifest = reserialized(stored.bytes, manifestDoc);
  if (newManifest === undefined) return { descriptor: stored.descriptor, bytes: stored.bytes, platform };
  const descriptor: Descriptor = {
    mediaType: stored.descriptor.mediaType,
    digest: digestOf(newManifest),
    size: newManifest.length,
  };
  built.addManifest({ descriptor, bytes: newManifest });
  return { descriptor, bytes: newManifest, platform };
}

/** Applies `edit` to the images of `base`'s root (or those of `platforms`); see the file comment. */
export async function rewriteImages(
  base: ImageSource,
  built: BuiltSource,
  edit: ImageEdit,
  platforms: readonly Platform[] | undefined,
): Promise<RewriteResult> {
  const root = await base.root();
  const parsed = parseManifest(root.bytes, root.descriptor.mediaType, `manifest of ${base.description}`);
  const stored = { descriptor: { ...root.descriptor, mediaType: parsed.mediaType }, bytes: root.bytes };
  if (parsed.kind === 'image') {
    const { descriptor, bytes, platform } = await rewriteImage(
      base,
      built,
      stored,
      parsed.manifest,
      edit,
      base.description,
      platforms,
    );
    const result = { descriptor, bytes };
    built.setRoot(result);
    const changed =
      descriptor.digest === stored.descriptor.digest
        ? []
        : [{ platform: platform && formatPlatform(platform), from: stored.descriptor, to: descriptor }];
    return { root: result, changed, dropped: [] };
  }
  return rewriteIndex(base, built, stored, parsed.index, edit, platforms);
}

async function rewriteIndex(
  base: ImageSource,
  built: BuiltSource,
  stored: StoredManifest,
  index: ImageIndex,
  edit: ImageEdit,
  platforms: readonly Platform[] | undefined,
): Promise<RewriteResult> {
  const chosen =
    platforms !== undefined && platforms.length > 0
      ? new Set(pickChildren(index, platforms, base.description).images.map((p) => p.descriptor.digest))
      : undefined;
  const changed: ChangedImage[] = [];
  const now = new Map<string, Descriptor>();
  let images = 0;
  for (const child of index.manifests) {
    built.adopt(child, base);
    if (isAttestation(child) || isIndexType(child.mediaType)) continue;
    if (chosen !== undefined && !chosen.has(child.digest)) continue;
    if (now.has(child.digest)) continue;
    const bytes = await base.manifest(child);
    const parsed = parseManifest(bytes, child.mediaType, `manifest ${child.digest}`);
    if (parsed.kind !== 'image') continue;
    // Inside an index an artifact is kept as it is (only a base that is one is refused).
    if (!isImageConfigType(parsed.manifest.config.mediaType)) continue;
    images++;
    const where = `${base.description} (${child.platform ? formatPlatform(child.platform) : child.digest})`;
    const result = await rewriteImage(
      base,
      built,
      { descriptor: { ...child, mediaType: parsed.mediaType }, bytes },
      parsed.manifest,
      edit,
      where,
      undefined,
    );
    if (result.descriptor.digest === child.digest) continue;
    now.set(child.digest, result.descriptor);
    const platform = child.platform ?? result.platform;
    changed.push({ platform: platform && formatPlatform(platform), from: child, to: result.descriptor });
  }
  if (images === 0)
    throw new UsageError(`${base.description} holds no image to change (only artifacts or attestations)`);

  const dropped: Descriptor[] = [];
  const kept = index.manifests.filter((child) => {
    const target = child.annotations?.[REFERENCE_DIGEST_ANNOTATION];
    if (isAttestation(child) && target !== undefined && now.has(target)) {
      dropped.push(child);
      return false;
    }
    return true;
  });
  const moved = kept.map((original) => ({ original, now: now.get(original.digest) ?? original }));
  let root = changed.length === 0 && dropped.length === 0 ? stored : rebuildIndex(stored, moved);
  if (edit.annotations !== undefined && Object.keys(edit.annotations).length > 0) {
    const doc = JSON.parse(root.bytes.toString('utf8')) as Record<string, unknown>;
    withAnnotations(doc, edit.annotations);
    const bytes = reserialized(root.bytes, doc);
    if (bytes !== undefined)
      root = {
        descriptor: { mediaType: stored.descriptor.mediaType, digest: digestOf(bytes), size: bytes.length },
        bytes,
      };
  }
  built.setRoot(root);
  return { root, changed, dropped };
}
