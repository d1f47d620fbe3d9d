/**
 * One storage interface under pull, push and copy (architecture.md principle 7, after regclient's
 * scheme.API): a registry repository, an OCI layout directory, an OCI tarball and a
 * docker-archive are each an ImageSource and an ImageDestination, and copy/ moves images between
 * any two without knowing which.
 *
 * Contracts every backend keeps:
 * - Sources verify: `manifest()` returns bytes already checked against the descriptor, and the
 *   stream from `blob()` fails at its end (DigestMismatchError, or a size error) when the bytes
 *   do not match. Nothing unverified reaches a destination as good.
 * - Destinations publish nothing half-done: a blob is only visible once all of it arrived and
 *   matched; files appear under their final name only in `commit()`; `abort()` removes every
 *   trace of an unfinished copy.
 * - Manifests are moved as bytes, never re-serialised, so digests survive.
 */
import type { Readable } from 'node:stream';
import type { Descriptor } from '../image/descriptor.js';

/** A manifest or index and the descriptor that names it. */
export interface StoredManifest {
  descriptor: Descriptor;
  bytes: Buffer;
}

export interface ImageSource {
  /** The location as the user would write it, for messages: 'oci:/tmp/x:v1', 'docker://h/r:t'. */
  readonly description: string;
  /** The manifest or index the location names. */
  root(): Promise<StoredManifest>;
  /** A manifest by its descriptor (an index's child), verified. */
  manifest(descriptor: Descriptor): Promise<Buffer>;
  /** A blob's bytes as a stream that verifies as it flows and errors at the end on a mismatch. */
  blob(descriptor: Descriptor): Promise<Readable>;
  close(): Promise<void>;
}

export interface PutManifestOptions {
  /** Also point this tag at the manifest (the root of a copy); children are stored by digest only. */
  tag?: string | undefined;
}

export interface ImageDestination {
  readonly description: string;
  /**
   * True when blobs must arrive one at a time, in the order the copy visits them (a tar file is
   * written front to back). The copy engine then runs one blob at a time. A sequential
   * destination cannot take back half a blob, so a failed putBlob ends the copy; a parallel one
   * stores nothing of a failed putBlob, so the engine may transfer that blob again.
   */
  readonly sequential: boolean;
  hasBlob(descriptor: Descriptor): Promise<boolean>;
  /**
   * Stores a blob from a source's blob stream, which verifies itself (so destinations only count
   * and check the size: one hash per byte); rejects, storing nothing, when the stream fails.
   */
  putBlob(descriptor: Descriptor, data: Readable): Promise<void>;
  /**
   * Optional: stores a blob whose digest and size are only known once it has all streamed
   * through (a layer gzip'd on the way, when pushing a docker-archive with uncompressed layers).
   * Absent where sizes must be known up front (tar files).
   */
  putBlobStream?(data: Readable, mediaType: string): Promise<Descriptor>;
  hasManifest(descriptor: Descriptor): Promise<boolean>;
  /**
   * Optional: the digest `tag` points at now, when the destination can tell cheaply (a registry:
   * one HEAD). A re-copy whose tag already names the source's digest then stops there.
   */
  taggedDigest?(tag: string): Promise<string | undefined>;
  putManifest(manifest: StoredManifest, options?: PutManifestOptions): Promise<void>;
  /** Makes the result visible (renames temp files, writes index.json / manifest.json). */
  commit(): Promise<void>;
  /** Removes what an unfinished copy wrote. Safe to call after a failed commit. */
  abort(): Promise<void>;
}

/** Optional ability: cross-repository blob mount on the same registry (distribution-spec end-11). */
export interface BlobMounter {
  /** Tries to mount `descriptor` from the source; true when the registry mounted it. */
  mountBlob(descriptor: Descriptor, source: ImageSource): Promise<boolean>;
}

export function canMount(destination: ImageDestination): destination is ImageDestination & BlobMounter {
  return typeof (destination as Partial<BlobMounter>).mountBlob === 'function';
}
