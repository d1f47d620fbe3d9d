/**
 * A registry repository as an ImageSource and an ImageDestination (docker://host/repo:tag).
 * Every destination request asks for `pull,push` so one token serves the whole copy; a mount
 * adds `pull` on the repository mounted from.
 */
import type { Readable } from 'node:stream';
import { repositoryScope } from '../auth/scope.js';
import { isDigest, verifyBytes } from '../digest/index.js';
import { DigestMismatchError, NotFoundError } from '../errors.js';
import type { Descriptor } from '../image/descriptor.js';
import { parseManifest } from '../image/manifest.js';
import { legacyTags, referrerDescriptor, referrerOf, referrersTag } from '../image/referrers.js';
import { formatReference, type Reference } from '../ref/index.js';
import { blobExists, getBlobStream } from '../registry/blobs.js';
import type { RegistryClient } from '../registry/client.js';
import { getManifest, headManifest, putManifest } from '../registry/manifests.js';
import {
  addToReferrersTag,
  readReferrersTag,
  referrersByApi,
  referrersSupport,
} from '../registry/referrers.js';
import { referenceId } from '../registry/resolve.js';
import { hasTag } from '../registry/tag-lookup.js';
import { mountBlob, type UploadTarget, uploadBlob } from '../registry/upload.js';
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
} from './store.js';

export class RegistrySource implements ImageSource {
  readonly description: string;
  readonly traits: SourceTraits = { layers: 'as-published', listsReferrers: true };

  constructor(
    readonly client: RegistryClient,
    readonly ref: Reference,
  ) {
    this.description = `docker://${formatReference(ref)}`;
  }

  /**
   * By the referrers API where the registry serves it, else from the referrers tag when the
   * repository has one (a tag that is no referrers index counts as none, as the spec asks); with
   * the legacy cosign tags of the digest that exist. Which tags exist comes from the repository's
   * tag list, read once per run (registry/tag-lookup.ts): a manifest without referrers costs no
   * request of its own on a registry without the API, and one on a registry with it.
   */
  async referrers(subject: Descriptor): Promise<Referrer[]> {
    const { repository } = this.ref;
    const scopes = [repositoryScope(repository, ['pull'])];
    const [listed, legacy] = await Promise.all([
      this.bySubject(subject.digest, scopes),
      Promise.all(legacyTags(subject.digest).map((t) => this.legacy(t.tag))),
    ]);
    return [...listed.map((descriptor) => ({ descriptor })), ...legacy.flatMap((r) => (r ? [r] : []))];
  }

  private async bySubject(digest: string, scopes: readonly string[]): Promise<Descriptor[]> {
    const { repository } = this.ref;
    const byApi = await referrersByApi(this.client, repository, digest, scopes).catch((err: unknown) => {
      if (err instanceof NotFoundError) return [];
      throw err;
    });
    if (byApi !== undefined) return byApi;
    if (!(await hasTag(this.client, repository, referrersTag(digest)))) return [];
    const read = await readReferrersTag(this.client, repository, digest);
    return 'problem' in read ? [] : read.referrers;
  }

  /** The manifest a legacy cosign tag names, as a referrer, when the tag exists. */
  private async legacy(tag: string): Promise<Referrer | undefined> {
    if (!(await hasTag(this.client, this.ref.repository, tag))) return undefined;
    let fetched: Awaited<ReturnType<typeof getManifest>>;
    try {
      fetched = await getManifest(this.client, this.ref.repository, tag);
    } catch (err) {
      if (err instanceof NotFoundError) return undefined;
      throw err;
    }
    const descriptor = { mediaType: fetched.mediaType, digest: fetched.digest, size: fetched.bytes.length };
    const parsed = parseManifest(fetched.bytes, fetched.mediaType, `manifest ${this.description}:${tag}`);
    return { descriptor: referrerDescriptor(descriptor, parsed), tag };
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
      referrers: 'registry',
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

  /**
   * One HEAD; a GET only when the registry's HEAD omits the digest (some do). A registry checks
   * every blob and child before a tag moves, so what a tag names is there whole.
   */
  async tagged(tag: string): Promise<TagState> {
    const head = await headManifest(this.client, this.ref.repository, tag);
    if (!head) return { kind: 'absent' };
    if (head.digest && head.mediaType && head.size !== undefined)
      return {
        kind: 'names',
        descriptor: { mediaType: head.mediaType, digest: head.digest, size: head.size },
        complete: true,
      };
    const fetched = await getManifest(this.client, this.ref.repository, tag);
    return {
      kind: 'names',
      descriptor: { mediaType: fetched.mediaType, digest: fetched.digest, size: fetched.bytes.length },
      complete: true,
    };
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
    // distribution-spec "Pushing Manifests with Subject": without the registry's referrers API,
    // the client keeps the referrers tag.
    const referrer = referrerOf(descriptor, bytes);
    if (referrer) await this.putReferrers(referrer.subject, [referrer.referrer]);
  }

  /**
   * Nothing to do where the registry serves the referrers API (it lists a manifest by its
   * `subject` as it is stored); else the referrers go into the referrers tag's index, merged with
   * what is there (registry/referrers.ts).
   */
  async putReferrers(subject: Descriptor, referrers: readonly Descriptor[]): Promise<void> {
    if (referrers.length === 0) return;
    const { repository } = this.ref;
    const support = await referrersSupport(this.client, repository, subject.digest, this.target.scopes);
    if (support === 'api') return;
    await addToReferrersTag(this.client, repository, subject.digest, referrers);
  }

  async commit(): Promise<void> {}
  async abort(): Promise<void> {}
}
