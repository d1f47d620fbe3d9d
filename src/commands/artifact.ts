import { UsageError } from '../errors.js';
import { DEFAULT_ARTIFACT_TYPE } from '../image/artifact.js';
import { destinationTag, type Location, parseLocation } from '../store/location.js';
import { artifactFileJson, artifactJson, artifactShape } from '../ui/shapes/index.js';
import { annotationOption, artifactTypeOption, runArtifactPush } from './artifact-options.js';
import { formatOption, jsonOption, outputChoice } from './options.js';
import type { CommandSpec } from './spec.js';
import { chunkSizeOption, DEFAULT_JOBS, jobsOption } from './transfer-options.js';

/**
 * `artifact push` / `artifact pull`: a verb in the first argument's place, as `blob rm` is (the
 * command table has no subcommands; blob.ts says why). Each verb refuses the other's options.
 */
const VERBS = ['push', 'pull'] as const;
const PUSH_ONLY = ['artifactType', 'annotation', 'subject', 'chunkSize'] as const;
const PULL_ONLY = ['output', 'overwrite'] as const;
const flagOf = (key: string): string => `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

function location(input: string, what: string): Location {
  const parsed = parseLocation(input);
  if (parsed.kind === 'docker-archive')
    throw new UsageError(
      `${what} '${input}' is a docker-archive: artifacts live in registries and OCI layouts`,
    );
  return parsed;
}

export const artifact: CommandSpec = {
  name: 'artifact',
  bulk: true,
  summary:
    'Push files as an OCI artifact (`artifact push REF FILE[:TYPE]...`), or write the files of an artifact into a directory (`artifact pull REF`)',
  args: ['<push|pull>', '<reference>', '[file...]'],
  options: [
    {
      ...artifactTypeOption,
      description: `push: ${artifactTypeOption.description} (default ${DEFAULT_ARTIFACT_TYPE}, as oras)`,
    },
    { ...annotationOption, description: `push: ${annotationOption.description}` },
    {
      flags: '--subject <image>',
      description: 'push: the image it refers to (a signature, an SBOM), in the same repository or layout',
    },
    {
      flags: '-o, --output <dir>',
      description: 'pull: the directory the files go into (default: the current one)',
    },
    {
      flags: '--overwrite',
      description: 'pull: replace files that exist (else they are refused, and nothing is written)',
    },
    jobsOption,
    { ...chunkSizeOption, description: `push: ${chunkSizeOption.description}` },
    jsonOption,
    formatOption(artifactShape, 'the artifact and its files'),
  ],
  examples: [
    'ferry artifact push registry.example.com/app/sbom:1.0 sbom.spdx.json:application/spdx+json --artifact-type application/spdx+json',
    'ferry artifact push registry.example.com/app:1.0-notes notes.txt --subject registry.example.com/app:1.0',
    'ferry artifact pull registry.example.com/app/sbom:1.0 -o ./sbom',
    'ferry artifact push oci:./layout:notes notes.txt',
  ],
  async run(ctx, [verb, reference, ...files], options) {
    if (!(VERBS as readonly string[]).includes(verb ?? ''))
      throw new UsageError(`artifact takes push or pull first, not '${verb}'`, {
        hint: 'ferry artifact push REF FILE...  |  ferry artifact pull REF [-o DIR]',
      });
    const output = outputChoice(options);
    const misplaced = (verb === 'push' ? PULL_ONLY : PUSH_ONLY).find((key) => options[key] !== undefined);
    if (misplaced)
      throw new UsageError(`${flagOf(misplaced)} goes with artifact ${verb === 'push' ? 'pull' : 'push'}`);
    if (verb === 'pull') {
      if (files.length > 0) throw new UsageError('artifact pull takes no files: -o DIR says where they go');
      const source = location(reference ?? '', 'the artifact');
      const { pullArtifact } = await import('../copy/artifact.js');
      const dir = (options['output'] as string | undefined) ?? '.';
      const pulled = await pullArtifact(source, dir, {
        client: (registry) => ctx.client(registry),
        jobs: (options['jobs'] as number | undefined) ?? DEFAULT_JOBS,
        overwrite: options['overwrite'] === true,
      });
      ctx.status.info(
        `wrote ${pulled.files.length} file${pulled.files.length === 1 ? '' : 's'} of ${pulled.descriptor.digest} to ${dir}`,
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
      if (output.kind === 'json') ctx.out.json(json);
      else if (output.kind === 'template') ctx.out.template(output.template, [json]);
      return undefined;
    }
    const target = location(reference ?? '', 'the artifact');
    if (target.kind === 'registry' && target.ref.digest !== undefined)
      throw new UsageError(
        `'${reference}' names a digest: an artifact is pushed to a tag (its digest is not known yet)`,
      );
    const subject = options['subject'] as string | undefined;
    await runArtifactPush(
      ctx,
      output,
      target,
      destinationTag(target, target),
      {
        files,
        artifactType: (options['artifactType'] as string | undefined) ?? DEFAULT_ARTIFACT_TYPE,
        annotations: options['annotation'] as Record<string, string> | undefined,
        subject: subject === undefined ? undefined : location(subject, '--subject'),
      },
      options,
    );
    return undefined;
  },
};
