/**
 * One storage interface under pull, push and copy (architecture.md principle 7, after regclient's
 * scheme.API): a registry repository, an OCI layout directory, an OCI tarball and a
 * docker-archive are each an ImageSource and an ImageDestination, and copy/ moves images between
 * any two without knowing which.
 *
 * Stores declare what they are and can do (`traits`); copy/ decides from those declarations what
 * to do (architecture.md §7, "capabilities, not kinds"). Every method exists on every store: one
 * that cannot mount answers `false`, one that cannot look a tag up answers `unknown` (TagState),
 * so no policy hides in which optional method a class happens to have.
 *
 * Contracts every backend keeps:
 * - Sources verify: `manifest()` returns bytes already checked against the descriptor, and the
 *   stream from `blob()` fails at its end (DigestMismatchError, or a size error) when the bytes
 *   do not match. Nothing unverified reaches a destination as good.
 * - Destinations publish nothing half-done: a blob is only visible once all of it arrived and
 *   matched; files appear under their final name only in `commit()`; `abort()` removes every
 *   trace of an unfinished copy.
 * - Manifests are moved as bytes, never re-serialised by a store, so digests survive. Only copy/
 *   builds new manifest bytes, when the user asked for a change or a child changed under them.
 * - Referrers (OCI 1.1: a signature or SBOM whose `subject` names an image) are more of the graph:
 *   a source lists those of a manifest where it can (`referrers()`, [] where it cannot), and a
 *   destination keeps every manifest put with a `subject` findable as a referrer of it, its own
 *   way (`traits.referrers`); `putReferrers()` does the same for referrers it already holds.
 */
import type { Readable } from 'node:stream';
import type { Descriptor } from '../image/descriptor.js';

/** A manifest or index and the descriptor that names it. */
export interface StoredManifest {
  descriptor: Descriptor;
  bytes: Buffer;
}

/** A repository on a registry: where a blob already is, or where a destination writes. */
export interface BlobPlace {
  /** ferry's name for the registry ('docker.io', '127.0.0.1:5000'). */
  registry: string;
  repository: string;
}

export interface SourceTraits {
  /**
   * How the source holds its layers. 'as-published': the blobs are the image as it was published
   * (a registry, an OCI layout), to be kept byte for byte. 'uncompressed-export': layers are plain
   * tars only because the export format keeps them so (a `docker save` archive), and a registry
   * should get them compressed, as `docker push` would send them.
   */
  readonly layers: 'as-published' | 'uncompressed-export';
  /** Whether `referrers()` can find anything (a registry, an OCI layout); a docker-archive holds none. */
  readonly listsReferrers: boolean;
}

/** A manifest that refers to another one, as a source lists it. */
export interface Referrer {
  /** As a referrers list gives it: media type, digest and size, with artifactType and annotations. */
  descriptor: Descriptor;
  /**
   * Set for a legacy cosign tag (`sha256-<hex>.sig`, `.att`, `.sbom`): the manifest names no
   * `subject`, the tag alone ties it to the image, so the tag travels with it.
   */
  tag?: string | undefined;
}

export interface ImageSource {
  /** The location as the user would write it, for messages: 'oci:/tmp/x:v1', 'docker://h/r:t'. */
  readonly description: string;
  readonly traits: SourceTraits;
  /** The manifest or index the location names. */
  root(): Promise<StoredManifest>;
  /** A manifest by its descriptor (an index's child), verified. */
  manifest(descriptor: Descriptor): Promise<Buffer>;
  /** A blob's bytes as a stream that verifies as it flows and errors at the end on a mismatch. */
  blob(descriptor: Descriptor): Promise<Readable>;
  /**
   * Where this blob already sits in a registry, so a destination on that registry can mount it
   * (distribution-spec end-11) instead of moving its bytes; undefined when it sits in no registry.
   */
  placeOf(descriptor: Descriptor): BlobPlace | undefined;
  /**
   * The referrers of one of this source's manifests (those naming it as `subject`, and the legacy
   * cosign tags of its digest); [] where the source holds none. Listed, not verified: a copy reads
   * each one and checks its `subject` before it counts.
   */
  referrers(subject: Descriptor): Promise<Referrer[]>;
  close(): Promise<void>;
}

/**
 * What a destination knows of one of its tags. 'unknown' is not 'absent': --no-clobber must not
 * take "cannot tell" for "nothing there" and overwrite what is (image-copy.ts refuses instead).
 */
export type TagState =
  | {
      kind: 'names';
      descriptor: Descriptor;
      /**
       * Whether the destination vouches that everything under the tag is stored: a registry
       * refuses a manifest whose blobs or children are missing before the tag moves, so a tag
       * naming the source's content leaves a copy nothing to do. An OCI layout's index.json is
       * only a file, and blobs may have gone since it was written: not vouched.
       */
      complete: boolean;
    }
  | { kind: 'absent' }
  | { kind: 'unknown'; why: string };

export interface PutManifestOptions {
  /** Also point this tag at the manifest (the root of a copy); children are stored by digest only. */
  tag?: string | undefined;
}

export interface DestinationTraits {
  /**
   * What the destination can hold: 'graph', indexes and any number of manifests (a registry, an
   * OCI layout); 'one-image', a single image manifest and its blobs (a docker-archive), so a copy
   * of an index must pick one platform.
   */
  readonly holds: 'graph' | 'one-image';
  /**
   * Blobs must arrive one at a time, in the order the copy visits them (a tar file is written
   * front to back). A sequential destination cannot take back half a blob, so a failed putBlob
   * ends the copy; a parallel one stores nothing of a failed putBlob, so the copy may send that
   * blob again.
   */
  readonly sequential: boolean;
  /** Wants layers compressed (a registry): the layer policy gzips an export format's plain tars for it. */
  readonly wantsCompressedLayers: boolean;
  /** The repository written to, when the destination is a registry; a blob placed elsewhere on it can be mounted. */
  readonly place: BlobPlace | undefined;
  /**
   * How the destination keeps referrers. 'registry': by their `subject` where the registry serves
   * the referrers API, else in the referrers tag (`sha256-<hex>`) ferry keeps up to date; which,
   * it finds out by asking (registry/referrers.ts). 'index-json': as untagged entries of an OCI
   * layout's index.json, as oras writes them. 'none': it cannot hold them (a docker-archive).
   */
  readonly referrers: 'registry' | 'index-json' | 'none';
}

export interface ImageDestination {
  readonly description: string;
  readonly traits: DestinationTraits;
  hasBlob(descriptor: Descriptor): Promise<boolean>;
  /**
   * Stores a blob. `open` opens the source's blob stream, which verifies itself (so destinations
   * only count and check the size: one hash per byte); the destination calls it when it is ready
   * for the bytes, so a registry can open its upload session while the source answers. Rejects,
   * storing nothing, when the stream fails.
   */
  putBlob(descriptor: Descriptor, open: () => Promise<Readable>): Promise<void>;
  /** Mounts `descriptor` from `from` on the same registry; false when it was not mounted (or cannot be). */
  mountBlob(descriptor: Descriptor, from: BlobPlace): Promise<boolean>;
  hasManifest(descriptor: Descriptor): Promise<boolean>;
  /**
   * What `tag` points at now, as far as the destination can tell cheaply (a registry: one HEAD;
   * an OCI layout: its index.json); 'unknown' when it cannot (see TagState).
   */
  tagged(tag: string): Promise<TagState>;
  /** Stores a manifest; one with a `subject` is also kept as a referrer of it (`traits.referrers`). */
  putManifest(manifest: StoredManifest, options?: PutManifestOptions): Promise<void>;
  /**
   * Keeps `referrers` (manifests already stored here, each naming `subject`) findable as the
   * referrers of `subject`, as putManifest does for the manifests it stores; nothing happens for
   * those already kept. Throws (E_UNSUPPORTED) where `traits.referrers` is 'none'.
   */
  putReferrers(subject: Descriptor, referrers: readonly Descriptor[]): Promise<void>;
  /** Makes the result visible (renames temp files, writes index.json / manifest.json). */
  commit(): Promise<void>;
  /** Removes what an unfinished copy wrote. Safe to call after a failed commit. */
  abort(): Promise<void>;
}
