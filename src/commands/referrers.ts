import { formatReference } from '../ref/index.js';
import { artifactPlace, describeLocation, parseLocation, registryRef } from '../store/location.js';
import { referrerLines, referrerTree } from '../ui/referrers-text.js';
import { referrerItemShape, referrersJson } from '../ui/shapes/index.js';
import { formatOption, jsonOption, platformOption } from './options.js';
import { outputChoice, printResult } from './print.js';
import { defineCommand } from './spec.js';

export const referrers = defineCommand({
  name: 'referrers',
  summary:
    'List the referrers of an image (signatures, SBOMs, attestations): by the referrers API or the sha256-<hex> tag, with the legacy cosign tags',
  args: ['<image>'],
  options: [
    {
      flags: '--artifact-type <type>',
      description: 'only referrers of this artifact type (at every depth with --tree)',
    },
    {
      flags: '--tree',
      description: 'also the referrers of the referrers (a signature on an SBOM), as a tree',
    },
    {
      ...platformOption,
      description: 'the referrers of the image for this platform in an index, not those of the index',
    },
    jsonOption,
    formatOption(referrerItemShape, 'each referrer'),
  ],
  examples: [
    'ferry referrers ghcr.io/org/app:1.0',
    'ferry referrers --tree registry.example.com/app@sha256:…',
    'ferry referrers --artifact-type application/spdx+json --format "{{.Digest}}" ghcr.io/org/app:1.0',
    'ferry referrers oci:./layout:1.0',
  ],
  async run(ctx, [image], options) {
    const output = outputChoice(options.json, options.format);
    const location = artifactPlace(parseLocation(image ?? ''), 'the image');
    const { listImageReferrers } = await import('../store/referrer-tree.js');
    const listing = await listImageReferrers(location, (registry) => ctx.client(registry), {
      artifactType: options.artifactType,
      depth: options.tree === true ? Number.POSITIVE_INFINITY : 1,
      platform: options.platform,
    });
    const ref = registryRef(location);
    const name = ref ? formatReference(ref) : describeLocation(location);
    const doc = referrersJson(name, listing);
    printResult(ctx, output, {
      json: doc,
      records: doc.referrers,
      text:
        options.tree === true
          ? referrerTree(`${doc.reference}@${doc.digest}`, doc.referrers)
          : referrerLines(doc.referrers),
    });
    return undefined;
  },
});
