import type { Context } from '../context.js';
import { UsageError } from '../errors.js';
import type { Reference } from '../ref/index.js';
import { getManifest, headManifest } from '../registry/manifests.js';
import { listTags } from '../registry/tags.js';
import { type Location, parseLocation } from '../store/location.js';
import { existingJson, type TransferJson, transferJson } from '../ui/shapes/index.js';
import { jsonOption, outputChoice } from './options.js';
import { bindLocations, SIDE_OPTIONS } from './side-options.js';
import type { CommandSpec } from './spec.js';
import {
  chunkSizeOption,
  jobsOption,
  platformsOption,
  printTransfers,
  runTransfer,
  transferFormatOption,
} from './transfer-options.js';

export const copy: CommandSpec = {
  name: 'copy',
  aliases: ['cp'],
  bulk: true,
  summary: 'Copy an image between registries (or files), keeping every platform and the digest',
  args: ['<source>', '<destination>'],
  options: [
    platformsOption,
    jobsOption,
    chunkSizeOption,
    { flags: '-a, --all-tags', description: 'copy every tag of the source repository' },
    { flags: '-n, --no-clobber', description: 'leave tags that already exist at the destination alone' },
    jsonOption,
    transferFormatOption,
    ...SIDE_OPTIONS,
  ],
  examples: [
    'ferry copy ghcr.io/org/app:1.0 registry.example.com/app:1.0',
    'ferry copy --platform linux/amd64 --platform linux/arm64 alpine:3.20 localhost:5000/alpine:3.20',
    'ferry copy -a -n quay.io/org/app registry.example.com/mirror/app',
    'echo "$TOKEN" | ferry copy --dest-creds ci --dest-password-stdin ghcr.io/org/app:1.0 registry.example.com/app:1.0',
    "ferry copy -q -a --format '{{.Destination}} {{.Digest}} {{.Existing}}' quay.io/org/app localhost:5000/app",
  ],
  async run(ctx, [from, to], options) {
    const output = outputChoice(options);
    const source = parseLocation(from ?? '');
    const destination = parseLocation(to ?? '');
    bindLocations(ctx, options, source, destination);
    const allTags = options['allTags'] === true;
    const noClobber = options['clobber'] === false;
    if (!allTags && !noClobber) {
      const summary = await runTransfer(ctx, source, destination, options);
      printTransfers(ctx, output, [transferJson(source, destination, summary)]);
      return undefined;
    }
    if (source.kind !== 'registry' || destination.kind !== 'registry') {
      throw new UsageError('--all-tags and --no-clobber work between registries');
    }
    const tags = allTags
      ? (await listTags(ctx.client(source.ref.registry), source.ref.repository)).items
      : [destination.ref.tag ?? 'latest'];
    const results: TransferJson[] = [];
    for (const tag of tags) {
      const from: Location = { kind: 'registry', ref: allTags ? { ...source.ref, tag } : source.ref };
      const to: Location = {
        kind: 'registry',
        ref: allTags
          ? { registry: destination.ref.registry, repository: destination.ref.repository, tag }
          : destination.ref,
      };
      const existing = noClobber ? await existingTag(ctx, to.ref) : undefined;
      if (existing) {
        ctx.status.info(
          `${to.ref.repository}:${to.ref.tag} exists at the destination: left alone (--no-clobber)`,
        );
        results.push(existingJson(from, to, existing));
        continue;
      }
      results.push(transferJson(from, to, await runTransfer(ctx, from, to, options)));
    }
    printTransfers(ctx, output, results, allTags);
    return undefined;
  },
};

/** The destination's manifest, when the tag exists there (its digest read from a GET if HEAD lacks it). */
async function existingTag(
  ctx: Context,
  ref: Reference,
): Promise<{ digest: string; mediaType: string; size: number } | undefined> {
  const client = ctx.client(ref.registry);
  const head = await headManifest(client, ref.repository, ref.tag ?? 'latest');
  if (!head) return undefined;
  if (head.digest && head.mediaType && head.size !== undefined)
    return { digest: head.digest, mediaType: head.mediaType, size: head.size };
  const fetched = await getManifest(client, ref.repository, ref.tag ?? 'latest');
  return { digest: fetched.digest, mediaType: fetched.mediaType, size: fetched.bytes.length };
}
