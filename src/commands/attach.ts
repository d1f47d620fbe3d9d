import { UsageError } from '../errors.js';
import { artifactPlace, parseLocation, withoutTag } from '../store/location.js';
import { artifactShape } from '../ui/shapes/index.js';
import { annotationOption, artifactTypeOption, runArtifactPush } from './artifact-options.js';
import { formatOption, jsonOption } from './options.js';
import { outputChoice } from './print.js';
import { defineCommand } from './spec.js';
import { chunkSizeOption, jobsOption } from './transfer-options.js';

export const attach = defineCommand({
  name: 'attach',
  summary:
    'Attach files to an image as an artifact that refers to it (a signature, an SBOM): `artifact push` with the subject set',
  args: ['<image>', '[file...]'],
  options: [
    { ...artifactTypeOption, description: `${artifactTypeOption.description} (required)` },
    annotationOption,
    jobsOption,
    chunkSizeOption,
    jsonOption,
    formatOption(artifactShape, 'the artifact and its files'),
  ],
  examples: [
    'ferry attach registry.example.com/app:1.0 sbom.spdx.json --artifact-type application/spdx+json',
    'ferry attach registry.example.com/app@sha256:… notes.txt:text/plain --artifact-type application/vnd.example.notes',
    "ferry attach -q --format '{{.Digest}}' oci:./layout:1.0 sbom.json --artifact-type application/spdx+json",
  ],
  async run(ctx, [image, ...files], options) {
    const output = outputChoice(options.json, options.format);
    const artifactType = options.artifactType;
    if (artifactType === undefined) throw new UsageError('attach needs --artifact-type: what the files are');
    const subject = artifactPlace(parseLocation(image ?? ''), 'the image');
    await runArtifactPush(
      ctx,
      output,
      withoutTag(subject),
      undefined,
      {
        files,
        artifactType,
        annotations: options.annotation,
        subject,
      },
      options,
    );
    return undefined;
  },
});
