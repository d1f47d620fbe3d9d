/**
 * A docker-archive as an ImageDestination (pull): a tar that both `docker load` and
 * `skopeo copy docker-archive:…` read.
 *
 * Layout written (the Docker 25+ `docker save` layout, with the registry's blobs kept as they are):
 *
 *   blobs/sha256/<hex>   config, layers (still compressed, as the registry served them) and the
 *                        image manifest, each under its digest, written as it arrives
 *   manifest.json        [{"Config": "blobs/sha256/<config>", "RepoTags": [...], "Layers": [...]}]
 *   repositories         {"lab/x": {"v1": "<top layer diff_id hex>"}} (legacy; what Docker 25 writes)
 *   oci-layout, index.json   so the same tar is an OCI layout too; index.json names the manifest
 *                        with `io.containerd.image.name` (what containerd-based `docker load`
 *                        reads) and `org.opencontainers.image.ref.name`
 *
 * Compressed layers are fine for every reader: moby's load.go runs each layer through
 * DecompressStream and checks the result against the config's diff_ids, containerd keeps the
 * OCI layout's blobs, and skopeo 1.9 decompresses on read (checked by the tests). Keeping the
 * blobs avoids a decompress-to-temp-file pass per layer, and the OCI view keeps the digests.
 *
 * Blobs stream straight into the tar (their size is known from the descriptor), so blobs must
 * come one at a time (`sequential`). The tar is written by the one tar-layout writer
 * (tar-layout.ts): a file is published whole at `commit()` and leaves nothing behind on
 * `abort()`; a Writable target (`-`, stdout) cannot be taken back, and abort just stops writing.
 */
import type { Readable, Writable } from 'node:stream';
import { parseDigest, verifyBytes } from '../digest/index.js';
import { FerryError, InvalidContentError, LocalError, UsageError } from '../errors.js';
import type { Descriptor } from '../image/descriptor.js';
import { parseManifest } from '../image/manifest.js';
import { MediaType } from '../image/media-types.js';
import {
  type ArchiveName,
  archiveName,
  MANIFEST_JSON,
  MAX_CONFIG_BYTES,
  type ManifestItem,
  readDiffIds,
} from './docker-archive-format.js';
import { blobPath, REF_NAME_ANNOTATION } from './oci-common.js';
import type {
  DestinationTraits,
  ImageDestination,
  PutManifestOptions,
  StoredManifest,
  TagState,
} from './store.js';
import { TarLayoutWriter } from './tar-layout.js';

export interface DockerArchiveDestinationOptions {
  /**
   * Names for RepoTags: the destination's REF (`docker-archive:FILE:REF`) or, without one, the
   * source's `name:tag`. Normalised as docker saves them (`docker.io/library/x:1` → `x:1`). May be
   * empty: `docker load` then loads the image untagged.
   */
  repoTags: readonly string[];
}

/** What containerd-based `docker load` reads as the image's name in index.json. */
const IMAGE_NAME_ANNOTATION = 'io.containerd.image.name';
const CONFIG_TYPES = new Set<string>([MediaType.dockerConfig, MediaType.ociConfig]);

interface WrittenImage {
  descriptor: Descriptor;
  config: string;
  layers: string[];
  topDiffId: string | undefined;
}

export class DockerArchiveDestination implements ImageDestination {
  readonly description: string;
  readonly traits: DestinationTraits = {
    holds: 'one-image',
    sequential: true,
    wantsCompressedLayers: false,
    place: undefined,
    referrers: 'none',
  };

  /** Config blobs kept in memory (small) to read rootfs.diff_ids at putManifest. */
  private readonly configs = new Map<string, Buffer>();
  private image: WrittenImage | undefined;

  /** Use openDockerArchiveDestination(). */
  constructor(
    private readonly tar: TarLayoutWriter,
    private readonly names: ArchiveName[],
    description: string,
  ) {
    this.description = description;
  }

  async hasBlob(descriptor: Descriptor): Promise<boolean> {
    return this.tar.has(blobPath(descriptor.digest));
  }

  async hasManifest(descriptor: Descriptor): Promise<boolean> {
    return this.tar.has(blobPath(descriptor.digest));
  }

  async putBlob(descriptor: Descriptor, open: () => Promise<Readable>): Promise<void> {
    this.tar.check();
    const path = blobPath(descriptor.digest);
    if (this.tar.has(path)) return;
    const data = await open();
    const what = `blob ${descriptor.digest}`;
    if (CONFIG_TYPES.has(descriptor.mediaType) && descriptor.size <= MAX_CONFIG_BYTES) {
      // A config is small and needed again at putManifest (rootfs.diff_ids): take it whole.
      const bytes = await readAll(data, descriptor.size, what);
      verifyBytes(bytes, descriptor, what);
      await this.tar.addBuffer(path, bytes);
      this.configs.set(descriptor.digest, bytes);
    } else {
      await this.tar.addStream(path, descriptor, data, what);
    }
  }

  async mountBlob(): Promise<boolean> {
    return false;
  }

  /** A new file holds no tag yet; an existing one is replaced whole, so it cannot keep one. */
  tagged(): Promise<TagState> {
    return this.tar.tagState();
  }

  /** `docker load` reads one image per tag: an archive has no place for a signature or an SBOM. */
  async putReferrers(): Promise<void> {
    throw new FerryError('E_UNSUPPORTED', `${this.description} cannot hold referrers (signatures, SBOMs)`);
  }

  async putManifest(manifest: StoredManifest, _options: PutManifestOptions = {}): Promise<void> {
    this.tar.check();
    const { descriptor, bytes } = manifest;
    verifyBytes(bytes, descriptor, `manifest ${descriptor.digest}`);
    const parsed = parseManifest(bytes, descriptor.mediaType, `manifest ${descriptor.digest}`);
    if (parsed.kind === 'index') {
      throw new UsageError('a docker-archive holds one image, not an index', {
        hint: 'pick one with --platform os/arch',
      });
    }
    if (this.image !== undefined) {
      if (this.image.descriptor.digest === descriptor.digest) return;
      throw new UsageError('a docker-archive holds one image, not several', {
        hint: 'pick one with --platform os/arch',
      });
    }
    const { config, layers } = parsed.manifest;
    if (!CONFIG_TYPES.has(config.mediaType)) {
      throw new UsageError(
        `${descriptor.digest} is not a container image (config type ${config.mediaType}); docker-archive holds images only`,
      );
    }
    for (const d of [config, ...layers]) {
      if (!this.tar.has(blobPath(d.digest))) {
        throw new LocalError(
          `${this.description}: ${d.digest} (${d.mediaType}) was not written before the manifest`,
        );
      }
    }
    const configBytes = this.configs.get(config.digest);
    const diffIds =
      configBytes === undefined ? undefined : readDiffIds(configBytes, `image config ${config.digest}`);
    if (diffIds !== undefined && diffIds.length !== layers.length) {
      throw new InvalidContentError(
        `image config ${config.digest} lists ${diffIds.length} diff_ids for ${layers.length} layers`,
      );
    }
    await this.tar.addBuffer(blobPath(descriptor.digest), bytes);
    this.image = {
      descriptor: { mediaType: parsed.mediaType, digest: descriptor.digest, size: bytes.length },
      config: blobPath(config.digest),
      layers: layers.map((l) => blobPath(l.digest)),
      topDiffId: diffIds?.at(-1),
    };
  }

  async commit(): Promise<void> {
    this.tar.check();
    const image = this.image;
    if (image === undefined) throw new LocalError(`${this.description}: no image was written`);
    const item: ManifestItem = {
      Config: image.config,
      RepoTags: this.names.map((n) => n.repoTag),
      Layers: image.layers,
    };
    await this.tar.addBuffer(MANIFEST_JSON, json([item]));
    if (this.names.length > 0 && image.topDiffId !== undefined) {
      const top = parseDigest(image.topDiffId).encoded;
      const repositories: Record<string, Record<string, string>> = {};
      for (const name of this.names)
        repositories[name.repository] = { ...repositories[name.repository], [name.tag]: top };
      await this.tar.addBuffer('repositories', json(repositories));
    }
    const manifests =
      this.names.length === 0
        ? [image.descriptor]
        : this.names.map((n) => ({
            ...image.descriptor,
            annotations: { [IMAGE_NAME_ANNOTATION]: n.fullName, [REF_NAME_ANNOTATION]: n.tag },
          }));
    await this.tar.addIndex(json({ schemaVersion: 2, mediaType: MediaType.ociIndex, manifests }));
    await this.tar.finish();
  }

  async abort(): Promise<void> {
    await this.tar.abort();
  }
}

/** Reads a small stream whole, refusing more than `size` bytes. */
async function readAll(data: Readable, size: number, what: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of data as AsyncIterable<Buffer>) {
    length += chunk.length;
    if (length > size)
      throw new InvalidContentError(`${what} is longer than its descriptor says (${size} bytes)`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

const json = (value: unknown): Buffer => Buffer.from(JSON.stringify(value));

/**
 * Opens a docker-archive for writing: a FILE path (published whole at commit) or a Writable (`-`:
 * stdout). `repoTags` are normalised here; a bad name, a digest reference, a missing parent
 * directory or a target that is a directory is refused before anything is written.
 */
export async function openDockerArchiveDestination(
  target: string | Writable,
  options: DockerArchiveDestinationOptions,
): Promise<DockerArchiveDestination> {
  const names: ArchiveName[] = [];
  for (const tag of options.repoTags) {
    const name = archiveName(tag);
    if (!names.some((n) => n.fullName === name.fullName)) names.push(name);
  }
  const file = typeof target === 'string' ? target : '-';
  const description = `docker-archive:${file}${names[0] ? `:${names[0].repoTag}` : ''}`;
  return new DockerArchiveDestination(await TarLayoutWriter.open(description, target), names, description);
}
