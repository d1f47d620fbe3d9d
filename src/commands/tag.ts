import { UsageError } from '../errors.js';
import {
  formatReference,
  formatRepository,
  parseImageReference,
  type Reference,
  tagRegExp,
} from '../ref/index.js';
import { tagImage } from '../registry/tag.js';
import { tagJson, tagShape } from '../ui/shapes/index.js';
import { formatOption, jsonOption } from './options.js';
import { outputChoice, printResult } from './print.js';
import { defineCommand } from './spec.js';

/**
 * NEWTAG as the tag to add: a bare tag (the distribution grammar's), or a full reference that must name the same repository
 * (a bare word is always a tag, as in crane: `alpine` means the tag `alpine`, not Docker Hub's image).
 */
export function targetTag(source: Reference, input: string): string {
  if (tagRegExp.test(input)) return input;
  const target = parseImageReference(input);
  if (target.digest !== undefined)
    throw new UsageError(`'${input}' has a digest: the target of tag is a tag`);
  if (target.registry !== source.registry || target.repository !== source.repository) {
    throw new UsageError(
      `${formatRepository(target)} is not ${formatRepository(source)}: tag works within one repository`,
      { hint: `to put the image in another repository: ferry copy ${formatReference(source)} ${input}` },
    );
  }
  return target.tag ?? 'latest';
}

export const tag = defineCommand({
  name: 'tag',
  summary: 'Add a tag to an image in the same repository (the manifest is re-put, no blob moves)',
  args: ['<image>', '<new-tag>'],
  options: [jsonOption, formatOption(tagShape, 'the new tag')],
  examples: [
    'ferry tag registry.example.com/app:1.2.3 latest',
    'ferry tag registry.example.com/app@sha256:… registry.example.com/app:stable',
    "ferry tag --format '{{.Reference}}@{{.Digest}}' localhost:5000/app:1.0 stable",
  ],
  async run(ctx, [image, newTag], options) {
    const output = outputChoice(options.json, options.format);
    const source = parseImageReference(image ?? '');
    const tagName = targetTag(source, newTag ?? '');
    const result = await tagImage(ctx.client(source.registry), source, tagName);
    const target = formatReference({
      registry: source.registry,
      repository: source.repository,
      tag: tagName,
    });
    printResult(ctx, output, { json: tagJson(target, formatReference(source), result) });
    ctx.status.info(`tagged ${target} (${result.digest})`);
    return undefined;
  },
});
