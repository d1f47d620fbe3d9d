/**
 * A registry repository as an ImageSource and an ImageDestination (docker://host/repo:tag).
 * Every destination request asks for `pull,push` so one token serves the whole copy; a mount
 * adds `pull` on the repository mounted from.
 */
import type { Readable } from 'node:stream';
import { repositoryScope } from '../auth/scope.js';
import { isDigest, verifyBytes } from '../digest/index.js';
import { DigestMismatchError } from '../errors.js';
import type { Descriptor } from '../image/descriptor.js';
import { formatReference, type Reference } from '../ref/index.js';
import { blobExists, getBlobStream } from '../registry/blobs.js';
import type { RegistryClient } from '../registry/client.js';
import { getManifest, headManifest, putManifest } from '../registry/manifests.js';
import { referenceId } from '../registry/resolve.js';
import { mountBlob, type UploadTarget, uploadBlob } from '../registry/upload.js';
import type {
  BlobPlace,
  DestinationTraits,
  ImageDestination,
  ImageSource,
  PutManifestOptions,
  SourceTraits,
  StoredManifest,
} from './store.js';

export class RegistrySource implements ImageSource {
  readonly description: string;
  readonly traits: SourceTraits = { layers: 'as-published' };

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

  placeOf(): BlobPlace {
    return { registry: this.client.registry, repository: this.ref.repository };
  }

  async close(): Promise<void> {}
}

export class RegistryDestination implements ImageDestination {
  readonly description: string;
  readonly traits: DestinationTraits;
  private readonly target: UploadTarget;

  constructor(
    readonly client: RegistryClient,
    readonly ref: Reference,
    chunkSize?: number,
  ) {
    this.description = `docker://${formatReference(ref)}`;
    this.traits = {
      holds: 'graph',
      sequential: false,
      wantsCompressedLayers: true,
      place: { registry: client.registry, repository: ref.repository },
    };
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

  async putBlob(descriptor: Descriptor, open: () => Promise<Readable>): Promise<void> {
    // Blob streams from a store verify themselves (store.ts), so the upload only counts.
    await uploadBlob(this.target, open, { digest: descriptor.digest, size: descriptor.size, verified: true });
  }

  /** A `from=` naming another host's repository means nothing here (and Harbor answers 401): same registry only. */
  async mountBlob(descriptor: Descriptor, from: BlobPlace): Promise<boolean> {
    if (from.registry !== this.client.registry || from.repository === this.ref.repository) return false;
    const target = {
      ...this.target,
      scopes: [...this.target.scopes, repositoryScope(from.repository, ['pull'])],
    };
    return mountBlob(target, descriptor.digest, from.repository);
  }

  /** One HEAD; a GET only when the registry's HEAD omits the digest (some do). */
  async tagged(tag: string): Promise<Descriptor | undefined> {
    const head = await headManifest(this.client, this.ref.repository, tag);
    if (!head) return undefined;
    if (head.digest && head.mediaType && head.size !== undefined)
      return { mediaType: head.mediaType, digest: head.digest, size: head.size };
    const fetched = await getManifest(this.client, this.ref.repository, tag);
    return { mediaType: fetched.mediaType, digest: fetched.digest, size: fetched.bytes.length };
  }

  async hasManifest(descriptor: Descriptor): Promise<boolean> {
    const head = await headManifest(this.client, this.ref.repository, descriptor.digest);
    return head !== undefined;
  }

  async putManifest(manifest: StoredManifest, options: PutManifestOptions = {}): Promise<void> {
    const { descriptor, bytes } = manifest;
    // One PUT: by the tag for the root, by digest for a child. A PUT by tag stores the manifest
    // under its digest as well, and the registry checks every blob and child it names before
    // the tag moves (MANIFEST_BLOB_UNKNOWN otherwise), so the tag never names anything incomplete.
    const reference = options.tag ?? descriptor.digest;
    const stored = await putManifest(
      this.client,
      this.ref.repository,
      reference,
      bytes,
      descriptor.mediaType,
    );
    // A registry that stored other bytes than were sent (a rewrite) would break every digest
    // above this manifest; compared only within one algorithm (a sha512 manifest may be named
    // by its sha256 in the header).
    const sameAlgorithm = stored?.split(':')[0] === descriptor.digest.split(':')[0];
    if (stored !== undefined && isDigest(stored) && sameAlgorithm && stored !== descriptor.digest)
      throw new DigestMismatchError(
        `manifest pushed to ${this.description} (the registry's Docker-Content-Digest)`,
        descriptor.digest,
        stored,
      );
  }

  async commit(): Promise<void> {}
  async abort(): Promise<void> {}
}
