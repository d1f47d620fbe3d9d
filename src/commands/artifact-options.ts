/** Options and the one runner `artifact push` and `attach` share. */
import type { Context } from '../context.js';
import { TITLE_ANNOTATION } from '../image/referrers.js';
import { describeByDigest, type Location } from '../store/location.js';
import { type ArtifactJson, artifactFileJson, artifactJson } from '../ui/shapes/index.js';
import { humanSize } from '../ui/table.js';
import { keyValueOption } from './build-options.js';
import { type OutputChoice, printResult } from './print.js';
import { type OptionsOf, option } from './spec.js';
import { type chunkSizeOption, DEFAULT_JOBS, type jobsOption, startProgress } from './transfer-options.js';

export const artifactTypeOption = option({
  flags: '--artifact-type <type>',
  description: 'the kind of artifact, a media type (e.g. application/spdx+json)',
});

export const annotationOption = keyValueOption(
  'annotation',
  "an annotation on the artifact's manifest (repeatable)",
);

/** Pushes the files as an artifact (copy/artifact.ts), with progress; prints the result as asked. */
export async function runArtifactPush(
  ctx: Context,
  output: OutputChoice,
  target: Location,
  tag: string | undefined,
  input: {
    files: readonly string[];
    artifactType: string;
    annotations: Record<string, string> | undefined;
    subject: Location | undefined;
  },
  options: Partial<OptionsOf<readonly [typeof jobsOption, typeof chunkSizeOption]>>,
): Promise<ArtifactJson> {
  const { pushArtifact } = await import('../copy/artifact.js');
  const progress = await startProgress(ctx);
  let pushed: Awaited<ReturnType<typeof pushArtifact>>;
  try {
    pushed = await pushArtifact(target, tag, input, {
      client: (registry) => ctx.client(registry),
      jobs: options.jobs ?? DEFAULT_JOBS,
      onEvent: progress.onEvent,
      retrier: ctx.retrier,
      chunkSize: options.chunkSize,
    });
  } finally {
    progress.finish();
  }
  const { summary, subject, files } = pushed;
  const manifest = summary.descriptor;
  const json = artifactJson(
    describeByDigest(target, manifest.digest),
    tag,
    manifest,
    input.artifactType,
    subject,
    files.map((f) => artifactFileJson(f.layer.annotations?.[TITLE_ANNOTATION] ?? '', f.path, f.layer)),
  );
  const bytes = files.reduce((n, f) => n + f.layer.size, 0);
  ctx.status.info(
    `pushed ${json.reference}${tag ? ` (tag ${tag})` : ''}: ${files.length} file${files.length === 1 ? '' : 's'}, ${humanSize(bytes)}${subject ? `, referring to ${subject.digest}` : ''}`,
  );
  printResult(ctx, output, { json, text: manifest.digest });
  return json;
}
