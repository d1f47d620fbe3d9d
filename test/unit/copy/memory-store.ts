// An in-memory store for the engine's own tests (architecture.md §7): a "registry" of
// repositories holding blobs, manifests and tags, seen through the same ImageSource and
// ImageDestination interfaces as the real stores. It is not an HTTP fake: registry behaviour is
// tested against the real Distribution elsewhere. Here it only has to keep the store contracts
// (store.ts) and record what the engine asked of it, so tests can check order, counts and what
// was left visible after a failure.
import { Readable } from 'node:stream';
import { digestOf, VerifyingStream } from '../../../src/digest/index.js';
import { NotFoundError } from '../../../src/errors.js';
import type { Descriptor } from '../../../src/image/descriptor.js';
import { legacyTags, referrerOf } from '../../../src/image/referrers.js';
import type {
  BlobPlace,
  DestinationTraits,
  ImageDestination,
  ImageSource,
  PutManifestOptions,
  Referrer,
  SourceTraits,
  StoredManifest,
  TagState,
} from '../../../src/store/store.js';

export interface Repository {
  blobs: Map<string, Buffer>;
  manifests: Map<string, StoredManifest>;
  tags: Map<string, string>;
  /** Referrers kept by subject digest (what a registry's referrers API or an index.json lists). */
  referrers: Map<string, Descriptor[]>;
}

const emptyRepository = (): Repository => ({
  blobs: new Map(),
  manifests: new Map(),
  tags: new Map(),
  referrers: new Map(),
});

/** Adds referrers to what a repository keeps for `subject` (no digest twice). */
function keep(repository: Repository, subject: string, referrers: readonly Descriptor[]): void {
  const list = repository.referrers.get(subject) ?? [];
  for (const d of referrers) if (!list.some((r) => r.digest === d.digest)) list.push(d);
  repository.referrers.set(subject, list);
}

/** One operation, as the engine asked for it: 'get-blob repo sha256:…', 'put-manifest repo v1'. */
export type Operation = string;

export class MemoryRegistry {
  readonly repositories = new Map<string, Repository>();
  readonly log: Operation[] = [];
  /** Called before each operation; an Error it returns is thrown (or given to the stream). */
  fault: ((operation: Operation) => Error | undefined) | undefined;

  constructor(readonly name = 'mem.example') {}

  repo(name: string): Repository {
    let repository = this.repositories.get(name);
    if (!repository) {
      repository = emptyRepository();
      this.repositories.set(name, repository);
    }
    return repository;
  }

  record(operation: Operation): void {
    this.log.push(operation);
    const error = this.fault?.(operation);
    if (error) throw error;
  }

  /** Operations whose text starts with `prefix`. */
  ops(prefix: string): Operation[] {
    return this.log.filter((o) => o.startsWith(prefix));
  }
}

/** A blob's descriptor and bytes. */
export function blob(bytes: Buffer | string, mediaType: string): { descriptor: Descriptor; bytes: Buffer } {
  const data = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes);
  return { descriptor: { mediaType, digest: digestOf(data), size: data.length }, bytes: data };
}

/** A manifest or index stored as compact JSON. */
export function manifestOf(doc: object): StoredManifest {
  const bytes = Buffer.from(JSON.stringify(doc));
  const mediaType = (doc as { mediaType: string }).mediaType;
  return { descriptor: { mediaType, digest: digestOf(bytes), size: bytes.length }, bytes };
}

export class MemorySource implements ImageSource {
  readonly description: string;

  constructor(
    readonly registry: MemoryRegistry,
    readonly repository: string,
    readonly reference: string,
    readonly traits: SourceTraits = { layers: 'as-published', listsReferrers: true },
    /** Where placeOf() says blobs are; defaults to this repository of this registry. */
    private readonly place: BlobPlace | undefined = { registry: registry.name, repository },
  ) {
    this.description = `mem://${registry.name}/${repository}:${reference}`;
  }

  private get repo(): Repository {
    return this.registry.repo(this.repository);
  }

  async root(): Promise<StoredManifest> {
    this.registry.record(`get-root ${this.repository} ${this.reference}`);
    const digest = this.repo.tags.get(this.reference) ?? this.reference;
    const manifest = this.repo.manifests.get(digest);
    if (!manifest) throw new NotFoundError(`${this.description} not found`);
    return manifest;
  }

  async manifest(descriptor: Descriptor): Promise<Buffer> {
    this.registry.record(`get-manifest ${this.repository} ${descriptor.digest}`);
    const manifest = this.repo.manifests.get(descriptor.digest);
    if (!manifest) throw new NotFoundError(`manifest ${descriptor.digest} not found`);
    return manifest.bytes;
  }

  async blob(descriptor: Descriptor): Promise<Readable> {
    this.registry.record(`get-blob ${this.repository} ${descriptor.digest}`);
    const bytes = this.repo.blobs.get(descriptor.digest);
    if (!bytes) throw new NotFoundError(`blob ${descriptor.digest} not found`);
    // The store contract: the stream verifies itself and fails at its end on a mismatch.
    const verify = new VerifyingStream({
      digest: descriptor.digest,
      size: descriptor.size,
      what: 'test blob',
    });
    return Readable.from([bytes], { objectMode: false }).pipe(verify);
  }

  placeOf(): BlobPlace | undefined {
    return this.place;
  }

  /** What the repository keeps for the subject, and its legacy cosign tags. */
  async referrers(subject: Descriptor): Promise<Referrer[]> {
    this.registry.record(`get-referrers ${this.repository} ${subject.digest}`);
    if (!this.traits.listsReferrers) return [];
    const listed = (this.repo.referrers.get(subject.digest) ?? []).map((descriptor) => ({ descriptor }));
    const legacy = legacyTags(subject.digest).flatMap(({ tag }) => {
      const digest = this.repo.tags.get(tag);
      const manifest = digest === undefined ? undefined : this.repo.manifests.get(digest);
      return manifest ? [{ descriptor: manifest.descriptor, tag }] : [];
    });
    return [...listed, ...legacy];
  }

  async close(): Promise<void> {}
}

/**
 * A destination: with `place` set it behaves as a registry repository (blobs and manifests
 * visible as soon as they are put, mounts from other repositories of the same registry); with
 * `place` unset, as a file: everything staged and only made visible by commit().
 */
export class MemoryDestination implements ImageDestination {
  readonly description: string;
  readonly traits: DestinationTraits;
  /** What a file destination has staged but not yet published. */
  private staged: Repository = emptyRepository();
  state: 'open' | 'committed' | 'aborted' = 'open';
  /** Blobs being read from a source right now (to prove transfers were stopped). */
  inflight = 0;
  /** Set: tagged() cannot tell, for this reason (as an archive file that exists already). */
  unknownTags: string | undefined;

  constructor(
    readonly registry: MemoryRegistry,
    readonly repository: string,
    traits: DestinationTraits,
  ) {
    this.traits = traits;
    this.description = `mem://${registry.name}/${repository}`;
  }

  private get visible(): Repository {
    return this.registry.repo(this.repository);
  }

  /** Where writes go: straight to the repository (a registry), or staged (a file). */
  private get target(): Repository {
    return this.traits.place ? this.visible : this.staged;
  }

  async hasBlob(descriptor: Descriptor): Promise<boolean> {
    this.registry.record(`has-blob ${this.repository} ${descriptor.digest}`);
    return this.visible.blobs.has(descriptor.digest) || this.staged.blobs.has(descriptor.digest);
  }

  async putBlob(descriptor: Descriptor, open: () => Promise<Readable>): Promise<void> {
    this.registry.record(`put-blob ${this.repository} ${descriptor.digest}`);
    const bytes = await this.drain(await open());
    this.target.blobs.set(descriptor.digest, bytes);
  }

  private async drain(data: Readable): Promise<Buffer> {
    this.inflight++;
    try {
      const chunks: Buffer[] = [];
      for await (const chunk of data) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks);
    } finally {
      this.inflight--;
    }
  }

  async mountBlob(descriptor: Descriptor, from: BlobPlace): Promise<boolean> {
    this.registry.record(`mount-blob ${this.repository} ${descriptor.digest} from ${from.repository}`);
    if (!this.traits.place || from.registry !== this.registry.name) return false;
    const bytes = this.registry.repositories.get(from.repository)?.blobs.get(descriptor.digest);
    if (!bytes) return false;
    this.visible.blobs.set(descriptor.digest, bytes);
    return true;
  }

  async hasManifest(descriptor: Descriptor): Promise<boolean> {
    this.registry.record(`has-manifest ${this.repository} ${descriptor.digest}`);
    return this.visible.manifests.has(descriptor.digest) || this.staged.manifests.has(descriptor.digest);
  }

  /**
   * What a tag names, from what is visible: vouched complete as a registry vouches, not as an OCI
   * layout's index.json; 'unknown' when `unknownTags` says why (an archive file that exists).
   */
  async tagged(tag: string): Promise<TagState> {
    this.registry.record(`tagged ${this.repository} ${tag}`);
    if (this.unknownTags !== undefined) return { kind: 'unknown', why: this.unknownTags };
    const digest = this.visible.tags.get(tag);
    const manifest = digest === undefined ? undefined : this.visible.manifests.get(digest);
    if (!manifest) return { kind: 'absent' };
    return { kind: 'names', descriptor: manifest.descriptor, complete: this.traits.place !== undefined };
  }

  async putManifest(manifest: StoredManifest, options: PutManifestOptions = {}): Promise<void> {
    const { descriptor } = manifest;
    this.registry.record(`put-manifest ${this.repository} ${options.tag ?? descriptor.digest}`);
    // As a registry does (MANIFEST_BLOB_UNKNOWN): every blob and child named must be there.
    const doc = JSON.parse(manifest.bytes.toString('utf8')) as {
      config?: Descriptor;
      layers?: Descriptor[];
      manifests?: Descriptor[];
    };
    const has = (d: Descriptor, kind: 'blobs' | 'manifests') =>
      this.visible[kind].has(d.digest) || this.staged[kind].has(d.digest);
    for (const d of [...(doc.config ? [doc.config] : []), ...(doc.layers ?? [])])
      if (!has(d, 'blobs')) throw new Error(`MANIFEST_BLOB_UNKNOWN ${d.digest}`);
    for (const d of doc.manifests ?? [])
      if (!has(d, 'manifests')) throw new Error(`MANIFEST_UNKNOWN child ${d.digest}`);
    if (digestOf(manifest.bytes) !== descriptor.digest) throw new Error('manifest digest mismatch');
    this.target.manifests.set(descriptor.digest, manifest);
    if (options.tag !== undefined) this.target.tags.set(options.tag, descriptor.digest);
    const referrer = referrerOf(descriptor, manifest.bytes);
    if (referrer) keep(this.target, referrer.subject.digest, [referrer.referrer]);
  }

  async putReferrers(subject: Descriptor, referrers: readonly Descriptor[]): Promise<void> {
    this.registry.record(
      `put-referrers ${this.repository} ${subject.digest} ${referrers.map((r) => r.digest).join(',')}`,
    );
    if (this.traits.referrers === 'none') throw new Error('this destination holds no referrers');
    keep(this.target, subject.digest, referrers);
  }

  async commit(): Promise<void> {
    this.registry.record(`commit ${this.repository}`);
    for (const kind of ['blobs', 'manifests', 'tags'] as const)
      for (const [k, v] of this.staged[kind]) (this.visible[kind] as Map<string, unknown>).set(k, v);
    for (const [subject, list] of this.staged.referrers) keep(this.visible, subject, list);
    this.staged = emptyRepository();
    this.state = 'committed';
  }

  async abort(): Promise<void> {
    this.registry.record(`abort ${this.repository}`);
    this.staged = emptyRepository();
    if (this.state === 'open') this.state = 'aborted';
  }
}

/** A destination that behaves as a registry repository. */
export function registryDestination(registry: MemoryRegistry, repository: string): MemoryDestination {
  return new MemoryDestination(registry, repository, {
    holds: 'graph',
    sequential: false,
    wantsCompressedLayers: true,
    place: { registry: registry.name, repository },
    referrers: 'registry',
  });
}

/** A destination that behaves as a file: staged until commit; by default an OCI layout directory. */
export function fileDestination(
  registry: MemoryRegistry,
  repository: string,
  traits: Partial<DestinationTraits> = {},
): MemoryDestination {
  return new MemoryDestination(registry, repository, {
    holds: 'graph',
    sequential: false,
    wantsCompressedLayers: false,
    place: undefined,
    referrers: 'index-json',
    ...traits,
  });
}

export interface PlatformSpec {
  os: string;
  architecture: string;
  variant?: string;
}

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';
export const PLAIN_LAYER = 'application/vnd.oci.image.layer.v1.tar';
export const GZIP_LAYER = 'application/vnd.oci.image.layer.v1.tar+gzip';

/** Puts an image (config + layers with these contents) into `repository`; tags it when `tag` is given. */
export function putImage(
  registry: MemoryRegistry,
  repository: string,
  options: { layers: string[]; layerType?: string; platform?: PlatformSpec; tag?: string },
): StoredManifest {
  const repo = registry.repo(repository);
  const platform = options.platform ?? { os: 'linux', architecture: 'amd64' };
  const config = blob(
    JSON.stringify({ ...platform, rootfs: { type: 'layers', diff_ids: [] }, config: {} }),
    OCI_CONFIG,
  );
  const layers = options.layers.map((text) => blob(text, options.layerType ?? GZIP_LAYER));
  for (const b of [config, ...layers]) repo.blobs.set(b.descriptor.digest, b.bytes);
  const manifest = manifestOf({
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config: config.descriptor,
    layers: layers.map((l) => l.descriptor),
  });
  repo.manifests.set(manifest.descriptor.digest, manifest);
  if (options.tag) repo.tags.set(options.tag, manifest.descriptor.digest);
  return manifest;
}

/** Puts an index of images (each with its platform), plus an attestation entry for each when asked. */
export function putIndex(
  registry: MemoryRegistry,
  repository: string,
  images: { manifest: StoredManifest; platform: PlatformSpec }[],
  options: { tag?: string; attestations?: boolean } = {},
): StoredManifest {
  const repo = registry.repo(repository);
  const entries: Descriptor[] = images.map(({ manifest, platform }) => ({
    ...manifest.descriptor,
    platform: { ...platform },
  }));
  if (options.attestations) {
    for (const { manifest, platform } of images) {
      const statement = putImage(registry, repository, {
        layers: [`in-toto statement for ${platform.architecture}`],
        layerType: 'application/vnd.in-toto+json',
        platform: { os: 'unknown', architecture: 'unknown' },
      });
      entries.push({
        ...statement.descriptor,
        platform: { os: 'unknown', architecture: 'unknown' },
        annotations: {
          'vnd.docker.reference.digest': manifest.descriptor.digest,
          'vnd.docker.reference.type': 'attestation-manifest',
        },
      });
    }
  }
  const index = manifestOf({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: entries });
  repo.manifests.set(index.descriptor.digest, index);
  if (options.tag) repo.tags.set(options.tag, index.descriptor.digest);
  return index;
}

/**
 * Every blob and manifest the graph under `root` names, checked present in `repository`: what a
 * user pulling the result would need. Returns the manifests visited, root first.
 */
export function walk(registry: MemoryRegistry, repository: string, root: Descriptor): StoredManifest[] {
  const repo = registry.repo(repository);
  const manifest = repo.manifests.get(root.digest);
  if (!manifest) throw new Error(`${repository} lacks manifest ${root.digest}`);
  const doc = JSON.parse(manifest.bytes.toString('utf8')) as {
    config?: Descriptor;
    layers?: Descriptor[];
    manifests?: Descriptor[];
  };
  for (const d of [...(doc.config ? [doc.config] : []), ...(doc.layers ?? [])]) {
    const bytes = repo.blobs.get(d.digest);
    if (!bytes) throw new Error(`${repository} lacks blob ${d.digest}`);
    if (digestOf(bytes) !== d.digest || bytes.length !== d.size) throw new Error(`blob ${d.digest} is wrong`);
  }
  return [manifest, ...(doc.manifests ?? []).flatMap((d) => walk(registry, repository, d))];
}

/**
 * Puts an artifact referring to `subject` into `repository` (a layer with `content`, the empty
 * config): listed as its referrer unless `listed` is false; tagged when `tag` is given (a legacy
 * cosign tag has no subject: pass `subject: undefined` and the tag).
 */
export function putReferrer(
  registry: MemoryRegistry,
  repository: string,
  subject: Descriptor | undefined,
  options: { artifactType: string; content: string; tag?: string; listed?: boolean },
): StoredManifest {
  const repo = registry.repo(repository);
  const empty = blob('{}', 'application/vnd.oci.empty.v1+json');
  const layer = blob(options.content, 'application/octet-stream');
  for (const b of [empty, layer]) repo.blobs.set(b.descriptor.digest, b.bytes);
  const manifest = manifestOf({
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    artifactType: options.artifactType,
    config: empty.descriptor,
    layers: [layer.descriptor],
    ...(subject
      ? { subject: { mediaType: subject.mediaType, digest: subject.digest, size: subject.size } }
      : {}),
  });
  repo.manifests.set(manifest.descriptor.digest, manifest);
  if (options.tag) repo.tags.set(options.tag, manifest.descriptor.digest);
  if (subject && options.listed !== false)
    keep(repo, subject.digest, [{ ...manifest.descriptor, artifactType: options.artifactType }]);
  return manifest;
}

/** Lists `referrer` under `subject` in `repository`, whatever it names (a lying referrers tag). */
export function listAsReferrer(
  registry: MemoryRegistry,
  repository: string,
  subject: Descriptor,
  referrer: Descriptor,
): void {
  keep(registry.repo(repository), subject.digest, [referrer]);
}
