import { UsageError } from '../errors.js';
import { formatReference, namesTagOrDigest, parseImageReference } from '../ref/index.js';
import { deleteByPlan, planDelete } from '../registry/delete.js';
import { deleteJson, deleteShape } from '../ui/shapes/index.js';
import { formatOption, jsonOption } from './options.js';
import { outputChoice, printResult } from './print.js';
import { defineCommand } from './spec.js';

/** 'the index tagged v1 lists', 'the indexes tagged v1, v2 list' (`verb` in the singular). */
const indexes = (tags: readonly string[], verb = ''): string =>
  `the ${tags.length === 1 ? 'index' : 'indexes'} tagged ${tags.join(', ')}${verb && ` ${tags.length === 1 ? verb : verb.replace(/s$/, '')}`}`;

export const del = defineCommand({
  name: 'delete',
  aliases: ['rm'],
  summary: 'Delete a tag (leaving the image and its other tags) or, by digest, an image',
  args: ['<image>'],
  options: [
    { flags: '--dry-run', description: 'say what would be deleted, delete nothing' },
    {
      flags: '--force',
      description: 'delete a manifest by digest even when an index in the repository lists it',
    },
    jsonOption,
    formatOption(deleteShape, 'what was deleted'),
  ],
  examples: [
    'ferry delete registry.example.com/app:old-tag',
    'ferry delete registry.example.com/app@sha256:…',
    'ferry delete --dry-run localhost:5000/app:1.0',
    'ferry delete --json localhost:5000/app:1.0 | jq -r .digest',
  ],
  async run(ctx, [image], options) {
    const output = outputChoice(options.json, options.format);
    const dryRun = options.dryRun === true;
    const ref = parseImageReference(image ?? '');
    // No silent `latest` for a command that destroys: the user says which tag.
    if (!namesTagOrDigest(image ?? '')) {
      throw new UsageError(`'${image}' names no tag or digest: delete removes one tag or one manifest`, {
        hint: `to delete the tag latest, name it: ferry delete ${formatReference(ref)}`,
      });
    }
    const client = ctx.client(ref.registry);
    const plan = await planDelete(client, ref);
    const repository = `${ref.registry}/${ref.repository}`;
    if (plan.namedBy.length > 0 && !options.force && !dryRun) {
      throw new UsageError(
        `refusing to delete ${plan.digest}: ${indexes(plan.namedBy)} in ${repository} would name a manifest that is gone`,
        { hint: 'pass --force to delete it anyway' },
      );
    }
    const what =
      plan.kind === 'digest'
        ? `manifest ${plan.digest} of ${repository}, and every tag pointing at it`
        : `tag ${formatReference(ref)} (pointing at ${plan.digest}); the image and its other tags stay`;
    if (!dryRun) await deleteByPlan(client, ref, plan);
    if (plan.namedBy.length > 0) {
      ctx.status.warn(
        dryRun
          ? `${indexes(plan.namedBy, 'lists')} ${plan.digest}: deleting it needs --force`
          : `${indexes(plan.namedBy, 'still lists')} ${plan.digest}, which is gone`,
      );
    }
    printResult(ctx, output, {
      json: deleteJson(formatReference(ref), plan, dryRun),
      text: dryRun ? `would delete ${what}` : undefined,
    });
    // The deletion itself is news, not data: stderr, and silent under --quiet.
    if (!dryRun) ctx.status.info(`deleted ${what}`);
    return undefined;
  },
});
