import type { Context } from '../context.js';
import { UsageError } from '../errors.js';
import type { Reference } from '../ref/index.js';
import { headManifest } from '../registry/manifests.js';
import { listTags } from '../registry/tags.js';
import { parseLocation } from '../store/location.js';
import type { CommandSpec } from './spec.js';
import { chunkSizeOption, jobsOption, platformsOption, runTransfer } from './transfer-options.js';

export const copy: CommandSpec = {
  name: 'copy',
  aliases: ['cp'],
  summary: 'Copy an image between registries (or files), keeping every platform and the digest',
  args: ['<source>', '<destination>'],
  options: [
    platformsOption,
    jobsOption,
    chunkSizeOption,
    { flags: '-a, --all-tags', description: 'copy every tag of the source repository' },
    { flags: '-n, --no-clobber', description: 'leave tags that already exist at the destination alone' },
  ],
  examples: [
    'ferry copy ghcr.io/org/app:1.0 registry.example.com/app:1.0',
    'ferry copy --platform linux/amd64 --platform linux/arm64 alpine:3.20 localhost:5000/alpine:3.20',
    'ferry copy -a -n quay.io/org/app registry.example.com/mirror/app',
  ],
  async run(ctx, [from, to], options) {
    const source = parseLocation(from ?? '');
    const destination = parseLocation(to ?? '');
    const allTags = options['allTags'] === true;
    const noClobber = options['clobber'] === false;
    if (!allTags && !noClobber) {
      await runTransfer(ctx, source, destination, options);
      return undefined;
    }
    if (source.kind !== 'registry' || destination.kind !== 'registry') {
      throw new UsageError('--all-tags and --no-clobber work between registries');
    }
    const tags = allTags
      ? (await listTags(ctx.client(source.ref.registry), source.ref.repository)).items
      : [destination.ref.tag ?? 'latest'];
    for (const tag of tags) {
      const from: Reference = allTags ? { ...source.ref, tag } : source.ref;
      const to: Reference = allTags
        ? { registry: destination.ref.registry, repository: destination.ref.repository, tag }
        : destination.ref;
      if (noClobber && (await tagExists(ctx, to))) {
        ctx.status.info(`${to.repository}:${to.tag} exists at the destination: left alone (--no-clobber)`);
        continue;
      }
      await runTransfer(ctx, { kind: 'registry', ref: from }, { kind: 'registry', ref: to }, options);
    }
    return undefined;
  },
};

async function tagExists(ctx: Context, ref: Reference): Promise<boolean> {
  return (await headManifest(ctx.client(ref.registry), ref.repository, ref.tag ?? 'latest')) !== undefined;
}
