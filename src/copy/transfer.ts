/**
 * The one core function behind `copy`, `pull` and `push`: open the source and destination
 * stores for two locations, settle the layer policy from what they declare, and copy the image
 * graph between them. `pull` is copy(registry → file), `push` is copy(file → registry), `copy`
 * is registry → registry; `copy -a` and `sync` run many of these in one session (many.ts).
 */
import type { Retrier } from '../http/retry.js';
import type { Platform } from '../image/descriptor.js';
import type { RegistryClient } from '../registry/client.js';
import { destinationTag, type Location } from '../store/location.js';
import { openDestination, openSource } from '../store/open.js';
import type { CopyListener, CopySummary } from './events.js';
import { abortDestination, copyImageGraph } from './image-copy.js';
import { DEFAULT_LAYER_REQUEST, type LayerRequest, layerPolicy } from './layer-policy.js';
import { referrersWalk } from './referrers.js';
import { CopySession } from './session.js';

export interface TransferOptions {
  client: (registry: string) => RegistryClient;
  platforms?: readonly Platform[] | undefined;
  /** Blob transfers at once (the session's limiter, when no session is given). */
  jobs: number;
  /** Shared by every image of a run (many.ts); a session of its own otherwise. */
  session?: CopySession | undefined;
  /** --compress and --preserve-digests (layer-policy.ts). */
  layers?: LayerRequest | undefined;
  /** --no-clobber: an existing destination tag is left alone. */
  noClobber?: boolean | undefined;
  /**
   * The caller has just seen the destination's tag absent (sync's in-step check, a HEAD that got
   * a 404): the engine does not ask again. Never a guess: only a registry's answer.
   */
  tagSeenAbsent?: boolean | undefined;
  onEvent?: CopyListener | undefined;
  /** Where `-` as a file destination writes (pull to stdout). */
  stdout?: NodeJS.WritableStream | undefined;
  /** Registry uploads in PATCHes of this many bytes (--chunk-size). */
  chunkSize?: number | undefined;
  /** Whole-blob retries (image-copy.ts); the registry clients carry the same policy. */
  retrier?: Retrier | undefined;
  /** -r: the referrers of what is copied go with it (referrers.ts); without it they are counted. */
  referrers?: boolean | undefined;
}

export async function transferImage(
  source: Location,
  destination: Location,
  options: TransferOptions,
): Promise<CopySummary> {
  const src = await openSource(source, options.client);
  try {
    const dst = await openDestination(destination, options.client, {
      source,
      stdout: options.stdout,
      chunkSize: options.chunkSize,
    });
    let layers: ReturnType<typeof layerPolicy>;
    let walk: ReturnType<typeof referrersWalk>;
    try {
      layers = layerPolicy(options.layers ?? DEFAULT_LAYER_REQUEST, src.traits, dst.traits);
      walk = referrersWalk(src, dst, options.referrers ? 'copy' : 'count');
    } catch (err) {
      await abortDestination(dst, options.onEvent);
      throw err;
    }
    const session = options.session ?? new CopySession(options.jobs);
    try {
      return await copyImageGraph(session, src, dst, {
        platforms: options.platforms,
        tag: destinationTag(source, destination),
        noClobber: options.noClobber,
        tagSeenAbsent: options.tagSeenAbsent,
        layers,
        onEvent: walk ? walk.listener(options.onEvent) : options.onEvent,
        retrier: options.retrier,
        extend: walk,
      });
    } finally {
      // A session of its own ends with this copy; a shared one with the run (many.ts).
      if (!options.session) await session.close();
    }
  } finally {
    await src.close();
  }
}
