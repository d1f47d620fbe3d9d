/**
 * Pushing a built image: the copy engine copies the BuiltSource to the destination like any other
 * source (children before parents, HEAD-skips, mounts from where `placeOf` says a blob sits), with
 * the identity layer policy (the build made its layers as they should be). Extra tags (`--tag`)
 * are pointed at the root afterwards, each a manifest PUT of bytes the registry already holds.
 */
import type { CopyListener, CopySummary } from '../copy/events.js';
import { copyImageGraph } from '../copy/image-copy.js';
import { KEEP_LAYERS } from '../copy/layer-policy.js';
import { CopySession } from '../copy/session.js';
import { UsageError } from '../errors.js';
import type { Retrier } from '../http/retry.js';
import type { RegistryClient } from '../registry/client.js';
import { describeLocation, destinationTag, type Location, registryRef } from '../store/location.js';
import { openDestination } from '../store/open.js';
import type { ImageSource } from '../store/store.js';

export interface PublishOptions {
  client: (registry: string) => RegistryClient;
  jobs: number;
  onEvent?: CopyListener | undefined;
  retrier?: Retrier | undefined;
  /** More tags of the destination's repository to point at the result (registries only). */
  tags?: readonly string[] | undefined;
}

/** Checked before anything is built or pushed: extra tags need a registry destination. */
export function checkPublishable(destination: Location, tags: readonly string[] | undefined): void {
  if (tags !== undefined && tags.length > 0 && registryRef(destination) === undefined)
    throw new UsageError(`--tag needs a registry destination, not ${describeLocation(destination)}`);
}

export async function publish(
  source: ImageSource,
  destination: Location,
  options: PublishOptions,
): Promise<CopySummary> {
  checkPublishable(destination, options.tags);
  const dst = await openDestination(destination, options.client, { source: destination });
  const session = new CopySession(options.jobs);
  const summary = await copyImageGraph(session, source, dst, {
    tag: destinationTag(destination, destination),
    layers: KEEP_LAYERS,
    onEvent: options.onEvent,
    retrier: options.retrier,
  }).finally(() => session.close());
  const registry = registryRef(destination);
  if (registry) {
    const root = await source.root();
    for (const tag of options.tags ?? []) {
      const { digest: _digest, ...ref } = registry;
      const tagged = await openDestination({ kind: 'registry', ref: { ...ref, tag } }, options.client, {
        source: destination,
      });
      await tagged.putManifest(root, { tag });
    }
  }
  return summary;
}
