import { UsageError } from '../errors.js';
import { type Location, parseLocation } from '../store/location.js';
import { artifactShape } from '../ui/shapes/index.js';
import { annotationOption, artifactTypeOption, runArtifactPush } from './artifact-options.js';
import { formatOption, jsonOption, outputChoice } from './options.js';
import type { CommandSpec } from './spec.js';
import { chunkSizeOption, jobsOption } from './transfer-options.js';

/** The repository (or layout) of an image, with no tag or digest: where its referrer goes, by digest. */
function placeOf(image: Location): Location {
  if (image.kind === 'registry')
    return { kind: 'registry', ref: { registry: image.ref.registry, repository: image.ref.repository } };
  if (image.kind === 'docker-archive')
    throw new UsageError('a docker-archive holds no referrers: attach to a registry image or an OCI layout');
  return { kind: image.kind, path: image.path };
}

export const attach: CommandSpec = {
  name: 'attach',
  bulk: true,
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
    const output = outputChoice(options);
    const artifactType = options['artifactType'] as string | undefined;
    if (artifactType === undefined) throw new UsageError('attach needs --artifact-type: what the files are');
    const subject = parseLocation(image ?? '');
    await runArtifactPush(
      ctx,
      output,
      placeOf(subject),
      undefined,
      {
        files,
        artifactType,
        annotations: options['annotation'] as Record<string, string> | undefined,
        subject,
      },
      options,
    );
    return undefined;
  },
};
