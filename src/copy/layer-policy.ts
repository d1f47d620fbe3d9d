/**
 * What a copy does to a layer's bytes: the one place that decides (architecture.md §7, "policy is
 * data"). By default nothing: every blob keeps its bytes and digest, whatever the source and the
 * destination. A layer is gzip'd on the way only
 * - when the source holds it as a plain tar merely because of its export format (a `docker save`
 *   archive) and the destination wants compressed layers (a registry), as `docker push` would
 *   send it; or
 * - when the user asked for it (`--compress gzip`).
 * `--compress none` keeps even an export's plain tars. `--preserve-digests` refuses any change
 * (containers/image's flag of that name): asking for both is an error before anything moves, and
 * without an explicit request the export's layers are then kept as they are.
 *
 * A layer is compressed before it is stored (layer-packer.ts), so its digest and size are known up
 * front: any destination can take it, a tarball too.
 */
import { UsageError } from '../errors.js';
import type { Descriptor } from '../image/descriptor.js';
import { MediaType } from '../image/media-types.js';
import type { DestinationTraits, SourceTraits } from '../store/store.js';

export type CompressRequest = 'auto' | 'gzip' | 'none';

export interface LayerRequest {
  /** --compress: 'auto' (the default) lets the policy above decide. */
  compress: CompressRequest;
  /** --preserve-digests: every digest must survive the copy. */
  preserveDigests: boolean;
}

const IDENTITY: LayerPolicy = { transforms: false, actionFor: () => KEEP };

/** Copies that change nothing (a built image's own layers are already what they should be). */
export const KEEP_LAYERS: LayerPolicy = IDENTITY;

export const DEFAULT_LAYER_REQUEST: LayerRequest = { compress: 'auto', preserveDigests: false };

/** Uncompressed layer media types and what they become gzip'd (image-spec media-types.md; Docker v2s2). */
const GZIPPED: Readonly<Record<string, string>> = {
  [MediaType.ociLayer]: MediaType.ociLayerGzip,
  'application/vnd.docker.image.rootfs.diff.tar': MediaType.dockerLayerGzip,
};

/** What happens to one layer: kept as it is, or gzip'd into a blob of this media type. */
export type LayerAction = { kind: 'keep' } | { kind: 'gzip'; mediaType: string; reason: string };

const KEEP: LayerAction = { kind: 'keep' };

export interface LayerPolicy {
  /** Whether any layer may change: if not, a child manifest the destination has can be skipped whole. */
  readonly transforms: boolean;
  actionFor(layer: Descriptor): LayerAction;
}

/**
 * The policy for one source → destination copy; throws UsageError when the request cannot be met
 * (checked before any byte moves).
 */
export function layerPolicy(
  request: LayerRequest,
  source: SourceTraits,
  destination: DestinationTraits,
): LayerPolicy {
  if (request.preserveDigests && request.compress === 'gzip') {
    throw new UsageError('--compress gzip changes layer digests, which --preserve-digests forbids');
  }
  const exportLayers = source.layers === 'uncompressed-export';
  const wanted =
    request.compress === 'gzip'
      ? 'you asked for it (--compress gzip)'
      : request.compress === 'auto' &&
          !request.preserveDigests &&
          exportLayers &&
          destination.wantsCompressedLayers
        ? 'the archive holds plain tars, which a registry should get compressed; --compress none keeps them'
        : undefined;
  if (wanted === undefined) return IDENTITY;
  return {
    transforms: true,
    actionFor(layer) {
      const mediaType = GZIPPED[layer.mediaType];
      return mediaType === undefined ? KEEP : { kind: 'gzip', mediaType, reason: wanted };
    },
  };
}

/** Whether a layer media type is an uncompressed tar the policy may gzip. */
export function isUncompressedLayer(mediaType: string): boolean {
  return GZIPPED[mediaType] !== undefined;
}
