/**
 * A registry repository as an ImageSource and an ImageDestination (docker://host/repo:tag).
 * Every destination request asks for `pull,push` so one token serves the whole copy; a mount
 * adds `pull` on the source repository.
 */
import type { Readable } from 'node:stream';
import { repositoryScope } from '../auth/scope.js';
import { verifyBytes } from '../digest/index.js';
import type { Descriptor } from '../image/descriptor.js';
import { formatReference, type Reference } from '../ref/index.js';
import { blobExists, getBlobStream } from '../registry/blobs.js';
import type { RegistryClient } from '../registry/client.js';
import { getManifest, headManifest, putManifest } from '../registry/manifests.js';
import { referenceId } from '../registry/resolve.js';
import { mountBlob, type UploadTarget, uploadBlob } from '../registry/upload.js';
import type {
  BlobMounter,
  ImageDestination,
  ImageSource,
  PutManifestOptions,
  StoredManifest,
} from './store.js';

export class RegistrySource implements ImageSource {
  readonly description: string;

  constructor(
    readonly client: RegistryClient,
    readonly ref: Reference,
  ) {
    this.description = `docker://${formatReference(ref)}`;
  }

  async root(): Promise<StoredManifest> {
    const fetched = await getManifest(this.client, this.ref.repository, referenceId(this.ref));
    return {
      descriptor: { mediaType: fetched.mediaType, digest: fetched.digest, size: fetched.bytes.length },
      bytes: fetched.bytes,
    };
  }

  async manifest(descriptor: Descriptor): Promise<Buffer> {
    const fetched = await getManifest(this.client, this.ref.repository, descriptor.digest);
    verifyBytes(fetched.bytes, descriptor, `manifest ${descriptor.digest}`);
    return fetched.bytes;
  }

  blob(descriptor: Descriptor): Promise<Readable> {
    return getBlobStream(this.client, this.ref.repository, descriptor);
  }

  async close(): Promise<void> {}
}

export class RegistryDestination implements ImageDestination, BlobMounter {
  readonly description: string;
  readonly sequential = false;
  private readonly target: UploadTarget;

  constructor(
    readonly client: RegistryClient,
    readonly ref: Reference,
    chunkSize?: number,
  ) {
    this.description = `docker://${formatReference(ref)}`;
    this.target = {
      client,
      repository: ref.repository,
      scopes: [repositoryScope(ref.repository, ['pull', 'push'])],
      chunkSize,
    };
  }

  hasBlob(descriptor: Descriptor): Promise<boolean> {
    return blobExists(this.client, this.ref.repository, descriptor, this.target.scopes);
  }

  async putBlob(descriptor: Descriptor, data: Readable): Promise<void> {
    // Blob streams from a store verify themselves (store.ts), so the upload only counts.
    await uploadBlob(this.target, data, { digest: descriptor.digest, size: descriptor.size, verified: true });
  }

  async putBlobStream(data: Readable, mediaType: string): Promise<Descriptor> {
    const { digest, size } = await uploadBlob(this.target, data, {});
    return { mediaType, digest, size };
  }

  /** Mounts only from the same registry: a `from=` naming another host's repository means nothing here (and Harbor answers 401). */
  async mountBlob(descriptor: Descriptor, source: ImageSource): Promise<boolean> {
    if (!(source instanceof RegistrySource) || source.client.registry !== this.client.registry) return false;
    if (source.ref.repository === this.ref.repository) return false;
    const target = {
      ...this.target,
      scopes: [...this.target.scopes, repositoryScope(source.ref.repository, ['pull'])],
    };
    return mountBlob(target, descriptor.digest, source.ref.repository);
  }

  async taggedDigest(tag: string): Promise<string | undefined> {
    return (await headManifest(this.client, this.ref.repository, tag))?.digest;
  }

  async hasManifest(descriptor: Descriptor): Promise<boolean> {
    const head = await headManifest(this.client, this.ref.repository, descriptor.digest);
    return head !== undefined;
  }

  async putManifest(manifest: StoredManifest, options: PutManifestOptions = {}): Promise<void> {
    const { descriptor, bytes } = manifest;
    // By digest first, then the tag: the tag only moves once the content is complete.
    await putManifest(this.client, this.ref.repository, descriptor.digest, bytes, descriptor.mediaType);
    if (options.tag)
      await putManifest(this.client, this.ref.repository, options.tag, bytes, descriptor.mediaType);
  }

  async commit(): Promise<void> {}
  async abort(): Promise<void> {}
}
