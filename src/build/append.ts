/**
 * `append BASE DST PATH...`: each PATH becomes one gzip'd layer (layer-input.ts, layer-file.ts),
 * built once into a temp directory and put on top of every image of BASE (or those of
 * `--platform`), whose configs gain the layers' diff_ids and history entries (rewrite.ts). BASE
 * `scratch` starts from nothing: one image per `--platform` (linux/amd64 by default), an index when
 * there are several, all sharing the same layer blobs.
 *
 * Everything is checked and built before the first request to DST: a missing PATH, a tar with
 * names that escape the layer, a BASE that is an artifact or lacks a platform asked for end the
 * run with nothing pushed.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { digestOf } from '../digest/index.js';
import { UsageError } from '../errors.js';
import type { Descriptor, Platform } from '../image/descriptor.js';
import { MediaType } from '../image/media-types.js';
import { formatPlatform } from '../image/platform.js';
import type { RegistryClient } from '../registry/client.js';
import type { Location } from '../store/location.js';
import { openSource } from '../store/open.js';
import type { StoredManifest } from '../store/store.js';
import type { BuildTime } from './build-time.js';
import { BuiltSource } from './built-source.js';
import { appendLayers, applyChanges, type ConfigDoc, scratchConfig, serializeConfig } from './config-edit.js';
import { type LayerFile, writeLayerFile } from './layer-file.js';
import { layerInput, layerTar } from './layer-input.js';
import { type ImageEdit, type RewriteResult, rewriteImages } from './rewrite.js';

/** The base that is no image at all (as in a Dockerfile's FROM scratch). */
export const SCRATCH = 'scratch';

export interface AppendRequest {
  /** A location, or 'scratch'. */
  base: Location | typeof SCRATCH;
  paths: readonly string[];
  platforms?: readonly Platform[] | undefined;
  time: BuildTime;
  /** Where the layers are built (removed when the built source is closed). */
  tempDir: string;
  client: (registry: string) => RegistryClient;
}

export interface Built extends RewriteResult {
  source: BuiltSource;
}

/** The platform of a scratch image when none is asked for: fixed, so a build is the same everywhere. */
const SCRATCH_PLATFORM: Platform = { os: 'linux', architecture: 'amd64' };

export async function buildAppend(request: AppendRequest): Promise<Built> {
  if (request.paths.length === 0) throw new UsageError('append needs at least one PATH to add');
  const inputs = await Promise.all(request.paths.map((p) => layerInput(p)));
  const base = request.base === SCRATCH ? undefined : await openSource(request.base, request.client);
  let dir: string | undefined;
  let built: BuiltSource | undefined;
  try {
    // Fails early, before any layer is built, when BASE does not exist.
    if (base) await base.root();
    dir = await mkdtemp(join(request.tempDir, 'ferry-append-'));
    built = new BuiltSource(
      `${request.base === SCRATCH ? SCRATCH : base!.description} with ${request.paths.join(', ')}`,
      base ? [base] : [],
      [dir],
    );
    const layers: LayerFile[] = [];
    for (const [i, input] of inputs.entries()) {
      const tar = await layerTar(input, request.time.mtimeSeconds);
      const layer = await writeLayerFile(tar, dir, `layer-${i}.tar.gz`, MediaType.ociLayerGzip);
      built.addBlob(layer.descriptor, { file: layer.file, size: layer.descriptor.size });
      layers.push(layer);
    }
    const added = layers.map((l, i) => ({
      diffId: l.diffId,
      createdBy: `ferry append ${basename(request.paths[i]!)}`,
    }));
    const edit: ImageEdit = {
      layers,
      editConfig(doc: ConfigDoc, what: string) {
        if (doc['os'] === 'windows')
          throw new UsageError(`${what} is a Windows image: ferry appends layers to Linux images only`);
        applyChanges(doc, { created: request.time.created });
        appendLayers(doc, added, `config of ${what}`);
      },
    };
    const result = base
      ? await rewriteImages(base, built, edit, request.platforms)
      : scratchImages(built, edit, request.platforms ?? [SCRATCH_PLATFORM]);
    return { ...result, source: built };
  } catch (err) {
    if (built) await built.close();
    else {
      await base?.close();
      if (dir) await rm(dir, { recursive: true, force: true });
    }
    throw err;
  }
}

/** Images built from nothing: one per platform, an OCI index over them when there are several. */
function scratchImages(built: BuiltSource, edit: ImageEdit, platforms: readonly Platform[]): RewriteResult {
  const images: Descriptor[] = [];
  const made = new Map<string, Buffer>();
  for (const platform of platforms) {
    const doc = scratchConfig(platform);
    edit.editConfig(doc, `scratch (${formatPlatform(platform)})`);
    const configBytes = serializeConfig(doc);
    const config = {
      mediaType: MediaType.ociConfig,
      digest: digestOf(configBytes),
      size: configBytes.length,
    };
    built.addBlob(config, { bytes: configBytes });
    const bytes = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MediaType.ociManifest,
        config,
        layers: edit.layers.map((l) => l.descriptor),
      }),
    );
    const descriptor = { mediaType: MediaType.ociManifest, digest: digestOf(bytes), size: bytes.length };
    built.addManifest({ descriptor, bytes });
    made.set(descriptor.digest, bytes);
    if (!images.some((d) => d.digest === descriptor.digest)) images.push({ ...descriptor, platform });
  }
  let root: StoredManifest;
  if (images.length === 1) {
    const { platform: _platform, ...only } = images[0]!;
    root = { descriptor: only, bytes: made.get(only.digest)! };
  } else {
    const bytes = Buffer.from(
      JSON.stringify({ schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: images }),
    );
    root = {
      descriptor: { mediaType: MediaType.ociIndex, digest: digestOf(bytes), size: bytes.length },
      bytes,
    };
  }
  built.setRoot(root);
  return {
    root,
    changed: images.map(({ platform, ...to }) => ({ platform: platform && formatPlatform(platform), to })),
    dropped: [],
  };
}
