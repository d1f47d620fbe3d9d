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
 * come one at a time (`sequential`). The tar goes to `FILE.tmp-<random>` beside FILE, renamed in
 * `commit()`; `abort()` deletes it. With a Writable target (`-`, stdout) nothing can be taken
 * back: abort just stops writing.
 */
import { randomBytes } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import { type Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { parseDigest, VerifyingStream, verifyBytes } from '../digest/index.js';
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
import type { DestinationTraits, ImageDestination, PutManifestOptions, StoredManifest } from './store.js';

export interface DockerArchiveDestinationOptions {
  /**
   * Names for RepoTags: the destination's REF (`docker-archive:FILE:REF`) or, without one, the
   * source's `name:tag`. Normalised as docker saves them (`docker.io/library/x:1` → `x:1`). May be
   * empty: `docker load` then loads the image untagged.
   */
  repoTags: readonly string[];
}

/** Fixed mtime: the same image gives the same tar bytes. */
const MTIME = new Date(0);
const OCI_LAYOUT = '{"imageLayoutVersion":"1.0.0"}';
const IMAGE_NAME_ANNOTATION = 'io.containerd.image.name';
const REF_NAME_ANNOTATION = 'org.opencontainers.image.ref.name';
const CONFIG_TYPES = new Set<string>([MediaType.dockerConfig, MediaType.ociConfig]);

const blobPath = (digest: string): string => {
  const { algorithm, encoded } = parseDigest(digest);
  return `blobs/${algorithm}/${encoded}`;
};

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
    learnsDigests: false,
    wantsCompressedLayers: false,
    place: undefined,
  };

  private readonly pack = tar.pack();
  private readonly output: Promise<void>;
  private readonly names: ArchiveName[];
  /** Digests already in the tar. */
  private readonly written = new Set<string>();
  private readonly dirs = new Set<string>();
  /** Config blobs kept in memory (small) to read rootfs.diff_ids at putManifest. */
  private readonly configs = new Map<string, Buffer>();
  private image: WrittenImage | undefined;
  private failure: unknown;
  private state: 'open' | 'committed' | 'aborted' = 'open';

  /** Use openDockerArchiveDestination(). */
  constructor(
    sink: Writable,
    private readonly temp: string | undefined,
    private readonly file: string | undefined,
    names: ArchiveName[],
  ) {
    this.names = names;
    this.description = `docker-archive:${file ?? '-'}${names[0] ? `:${names[0].repoTag}` : ''}`;
    // The pack streams into the file as entries are added; remember (do not throw) a write failure,
    // so the next put or the commit reports it.
    this.output = pipeline(this.pack, sink).catch((error: unknown) => {
      this.failure ??= error;
    });
  }

  private check(): void {
    if (this.state !== 'open')
      throw new LocalError(`${this.description}: the archive is already ${this.state}`);
    if (this.failure !== undefined) {
      if (this.failure instanceof FerryError) throw this.failure;
      throw new LocalError(`writing ${this.file ?? 'the archive'}: ${errorText(this.failure)}`, {
        cause: this.failure,
      });
    }
  }

  async hasBlob(descriptor: Descriptor): Promise<boolean> {
    return this.written.has(descriptor.digest);
  }

  async hasManifest(descriptor: Descriptor): Promise<boolean> {
    return this.written.has(descriptor.digest);
  }

  async putBlob(descriptor: Descriptor, open: () => Promise<Readable>): Promise<void> {
    this.check();
    if (this.written.has(descriptor.digest)) return;
    const data = await open();
    const path = blobPath(descriptor.digest);
    const what = `blob ${descriptor.digest}`;
    try {
      if (CONFIG_TYPES.has(descriptor.mediaType) && descriptor.size <= MAX_CONFIG_BYTES) {
        // A config is small and needed again at putManifest (rootfs.diff_ids): take it whole.
        const bytes = await readAll(data, descriptor.size, what);
        verifyBytes(bytes, descriptor, what);
        this.addDirs(path);
        await this.writeBuffer(path, bytes);
        this.configs.set(descriptor.digest, bytes);
      } else {
        // Blob streams from a source verify themselves (store.ts): count and check the size only.
        const verify = new VerifyingStream({
          digest: descriptor.digest,
          size: descriptor.size,
          what,
          hash: false,
        });
        this.addDirs(path);
        await this.writeEntry(path, descriptor.size, (entry) => pipeline(data, verify, entry));
      }
    } catch (error) {
      // Part of the entry may be in the tar already: the archive is unusable from here on.
      this.failure ??= error;
      data.destroy();
      throw error;
    }
    this.written.add(descriptor.digest);
  }

  /** Tar entries carry their size up front (see putBlob). */
  async putStreamedBlob(): Promise<Descriptor> {
    throw new FerryError('E_INTERNAL', `${this.description} needs each blob's size up front`);
  }

  async mountBlob(): Promise<boolean> {
    return false;
  }

  async tagged(): Promise<undefined> {
    return undefined;
  }

  async putManifest(manifest: StoredManifest, _options: PutManifestOptions = {}): Promise<void> {
    this.check();
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
      if (!this.written.has(d.digest)) {
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
    const path = blobPath(descriptor.digest);
    this.addDirs(path);
    await this.writeBuffer(path, bytes);
    this.written.add(descriptor.digest);
    this.image = {
      descriptor: { mediaType: parsed.mediaType, digest: descriptor.digest, size: bytes.length },
      config: blobPath(config.digest),
      layers: layers.map((l) => blobPath(l.digest)),
      topDiffId: diffIds?.at(-1),
    };
  }

  async commit(): Promise<void> {
    this.check();
    const image = this.image;
    if (image === undefined) throw new LocalError(`${this.description}: no image was written`);
    const item: ManifestItem = {
      Config: image.config,
      RepoTags: this.names.map((n) => n.repoTag),
      Layers: image.layers,
    };
    await this.writeBuffer(MANIFEST_JSON, json([item]));
    if (this.names.length > 0 && image.topDiffId !== undefined) {
      const top = parseDigest(image.topDiffId).encoded;
      const repositories: Record<string, Record<string, string>> = {};
      for (const name of this.names)
        repositories[name.repository] = { ...repositories[name.repository], [name.tag]: top };
      await this.writeBuffer('repositories', json(repositories));
    }
    await this.writeBuffer('oci-layout', Buffer.from(OCI_LAYOUT));
    const manifests =
      this.names.length === 0
        ? [image.descriptor]
        : this.names.map((n) => ({
            ...image.descriptor,
            annotations: { [IMAGE_NAME_ANNOTATION]: n.fullName, [REF_NAME_ANNOTATION]: n.tag },
          }));
    await this.writeBuffer(
      'index.json',
      json({ schemaVersion: 2, mediaType: MediaType.ociIndex, manifests }),
    );
    this.pack.finalize();
    await this.output;
    this.check();
    if (this.temp !== undefined && this.file !== undefined) {
      try {
        const handle = await open(this.temp, 'r');
        try {
          await handle.sync();
        } finally {
          await handle.close();
        }
        await rename(this.temp, this.file);
      } catch (error) {
        throw new LocalError(`writing ${this.file}: ${errorText(error)}`, { cause: error });
      }
    }
    this.state = 'committed';
  }

  async abort(): Promise<void> {
    if (this.state === 'committed') return;
    this.state = 'aborted';
    this.failure ??= new LocalError('aborted');
    this.pack.destroy();
    await this.output;
    if (this.temp !== undefined) await rm(this.temp, { force: true });
  }

  private addDirs(path: string): void {
    const parts = path.split('/').slice(0, -1);
    for (let i = 1; i <= parts.length; i++) {
      const dir = `${parts.slice(0, i).join('/')}/`;
      if (this.dirs.has(dir)) continue;
      this.dirs.add(dir);
      this.pack.entry({ name: dir, type: 'directory', mode: 0o755, mtime: MTIME });
    }
  }

  private writeBuffer(name: string, bytes: Buffer): Promise<void> {
    return this.writeEntry(name, bytes.length, async (entry) => {
      entry.end(bytes);
    });
  }

  /** Adds one file entry and resolves once tar-stream has taken all of it. */
  private async writeEntry(
    name: string,
    size: number,
    fill: (entry: Writable) => Promise<void>,
  ): Promise<void> {
    let entry: Writable | undefined;
    const added = new Promise<void>((resolve, reject) => {
      entry = this.pack.entry({ name, size, type: 'file', mode: 0o644, mtime: MTIME }, (error) =>
        error ? reject(error) : resolve(),
      );
    });
    added.catch(() => {});
    await fill(entry!);
    await added;
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

/**
 * A Writable that forwards to `target` (stdout) with backpressure, and ends it on success, but is
 * destroyed alone when the copy fails: the caller's stream stays usable for reporting the error.
 */
function borrowed(target: Writable): Writable {
  let onTargetError: ((error: Error) => void) | undefined;
  const forward = new Writable({
    highWaterMark: 1024 * 1024,
    write(chunk: Buffer, _encoding, done) {
      if (target.write(chunk)) done();
      else target.once('drain', () => done());
    },
    final(done) {
      if (onTargetError) target.off('error', onTargetError);
      target.end(() => done());
    },
    destroy(error, done) {
      if (onTargetError) target.off('error', onTargetError);
      done(error);
    },
  });
  onTargetError = (error) => forward.destroy(error);
  target.on('error', onTargetError);
  return forward;
}

const json = (value: unknown): Buffer => Buffer.from(JSON.stringify(value));

const errorText = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/**
 * Opens a docker-archive for writing: a FILE path (written to a temp file beside it and renamed at
 * commit) or a Writable (`-`: stdout). `repoTags` are normalised here; a bad name or a digest
 * reference is refused before anything is written.
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
  if (typeof target !== 'string')
    return new DockerArchiveDestination(borrowed(target), undefined, undefined, names);
  const temp = `${target}.tmp-${randomBytes(6).toString('hex')}`;
  const handle = await open(temp, 'wx', 0o644).catch((error: unknown) => {
    throw new LocalError(`cannot write ${target}: ${errorText(error)}`, { cause: error });
  });
  return new DockerArchiveDestination(handle.createWriteStream(), temp, target, names);
}
