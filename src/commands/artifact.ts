import { UsageError } from '../errors.js';
import { DEFAULT_ARTIFACT_TYPE } from '../image/artifact.js';
import { artifactPlace, destinationTag, parseLocation, registryRef } from '../store/location.js';
import { artifactFileJson, artifactJson, artifactShape } from '../ui/shapes/index.js';
import { annotationOption, artifactTypeOption, runArtifactPush } from './artifact-options.js';
import { formatOption, jsonOption } from './options.js';
import { outputChoice, printResult } from './print.js';
import { commandGroup, defineCommand } from './spec.js';
import { chunkSizeOption, DEFAULT_JOBS, jobsOption } from './transfer-options.js';

const artifactOutput = formatOption(artifactShape, 'the artifact and its files');

const push = defineCommand({
  name: 'push',
  summary: 'Push files as an OCI artifact: each file one layer titled with its name, under an empty config',
  args: ['<reference>', '<file...>'],
  options: [
    {
      ...artifactTypeOption,
      description: `${artifactTypeOption.description} (default ${DEFAULT_ARTIFACT_TYPE}, as oras)`,
    },
    annotationOption,
    {
      flags: '--subject <image>',
      description: 'the image it refers to (a signature, an SBOM), in the same repository or layout',
    },
    jobsOption,
    chunkSizeOption,
    jsonOption,
    artifactOutput,
  ],
  examples: [
    'ferry artifact push registry.example.com/app/sbom:1.0 sbom.spdx.json:application/spdx+json --artifact-type application/spdx+json',
    'ferry artifact push registry.example.com/app:1.0-notes notes.txt --subject registry.example.com/app:1.0',
    'ferry artifact push oci:./layout:notes notes.txt',
  ],
  async run(ctx, [reference, ...files], options) {
    const output = outputChoice(options.json, options.format);
    const target = artifactPlace(parseLocation(reference ?? ''), 'the artifact');
    if (registryRef(target)?.digest !== undefined)
      throw new UsageError(
        `'${reference}' names a digest: an artifact is pushed to a tag (its digest is not known yet)`,
      );
    const subject = options.subject;
    await runArtifactPush(
      ctx,
      output,
      target,
      destinationTag(target, target),
      {
        files,
        artifactType: options.artifactType ?? DEFAULT_ARTIFACT_TYPE,
        annotations: options.annotation,
        subject: subject === undefined ? undefined : artifactPlace(parseLocation(subject), '--subject'),
      },
      options,
    );
    return undefined;
  },
});

/** oras's mark on a layer that is a directory packed as tar+gzip (oras-go `AnnotationUnpack`). */
const ORAS_UNPACK_ANNOTATION = 'io.deis.oras.content.unpack';

const pull = defineCommand({
  name: 'pull',
  summary: "Write an artifact's files into a directory, each under its title, checked on the way",
  args: ['<reference>'],
  options: [
    {
      flags: '-o, --output <dir>',
      description: 'the directory the files go into (default: the current one)',
    },
    {
      flags: '--overwrite',
      description: 'replace files that exist (else they are refused, and nothing is written)',
    },
    jobsOption,
    jsonOption,
    artifactOutput,
  ],
  examples: [
    'ferry artifact pull registry.example.com/app/sbom:1.0 -o ./sbom',
    'ferry artifact pull oci:./layout:notes -o ./notes --overwrite',
  ],
  async run(ctx, [reference], options) {
    const output = outputChoice(options.json, options.format);
    const source = artifactPlace(parseLocation(reference ?? ''), 'the artifact');
    const { pullArtifact } = await import('../copy/artifact.js');
    const dir = options.output ?? '.';
    const pulled = await pullArtifact(source, dir, {
      client: (registry) => ctx.client(registry),
      jobs: options.jobs ?? DEFAULT_JOBS,
      overwrite: options.overwrite === true,
    });
    ctx.status.info(
      `wrote ${pulled.files.length} file${pulled.files.length === 1 ? '' : 's'} of ${pulled.descriptor.digest} to ${dir}`,
    );
    // oras pushes a directory as one tar+gzip layer marked for unpacking, and unpacks it on pull;
    // ferry writes the layer's bytes as they are, so the file under that name is the archive.
    for (const f of pulled.files)
      if (f.descriptor.annotations?.[ORAS_UNPACK_ANNOTATION] === 'true')
        ctx.status.warn(
          `${f.title} is a directory oras packed: ${f.path} is written as its tar+gzip archive, not unpacked as oras pull would`,
        );
    if (pulled.untitled > 0)
      ctx.status.info(
        `${pulled.untitled} layer${pulled.untitled === 1 ? '' : 's'} without a title (no file name) not written`,
      );
    const json = artifactJson(
      reference ?? '',
      undefined,
      pulled.descriptor,
      pulled.artifactType,
      pulled.subject,
      pulled.files.map((f) => artifactFileJson(f.title, f.path, f.descriptor)),
    );
    printResult(ctx, output, { json });
    return undefined;
  },
});

export const artifact = commandGroup(
  'artifact',
  'Push files as an OCI artifact, or write the files of one into a directory (oras-compatible)',
  [push, pull],
);
