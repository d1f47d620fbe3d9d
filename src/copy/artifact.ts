/**
 * `ferry artifact push`, `ferry attach` and `ferry artifact pull`: files to and from an OCI
 * artifact (image/artifact.ts), oras-compatible both ways.
 *
 * Push builds a source from the files (store/artifact-source.ts) and copies it with the engine;
 * a `subject` makes it a referrer, which the destination keeps as one (store.ts: the registry's
 * referrers API, else the referrers tag; an OCI layout's index.json). The subject must be in the
 * same place: the referrers of a manifest are listed per repository (distribution-spec "Listing
 * Referrers"), so an artifact elsewhere could never be found from it.
 *
 * Pull reads the manifest, checks every file name it carries before fetching a byte
 * (image/artifact.ts artifactFiles), and writes the files all or nothing into the directory
 * (util/confined-write.ts).
 */
import { InvalidContentError, UsageError } from '../errors.js';
import type { Retrier } from '../http/retry.js';
import { artifactFiles } from '../image/artifact.js';
import type { Descriptor } from '../image/descriptor.js';
import { parseManifest } from '../image/manifest.js';
import type { RegistryClient } from '../registry/client.js';
import { type ArtifactInput, ArtifactSource } from '../store/artifact-source.js';
import { artifactPlace, describeLocation, type Location, samePlace } from '../store/location.js';
import { openDestination, openSource } from '../store/open.js';
import { writeConfined } from '../util/confined-write.js';
import type { CopyListener, CopySummary } from './events.js';
import { copyImageGraph } from './image-copy.js';
import { KEEP_LAYERS } from './layer-policy.js';
import { CopySession } from './session.js';

export interface ArtifactPushOptions {
  client: (registry: string) => RegistryClient;
  jobs: number;
  onEvent?: CopyListener | undefined;
  retrier?: Retrier | undefined;
  chunkSize?: number | undefined;
}

/** The manifest `location` names, as a subject. */
export async function resolveSubject(
  location: Location,
  client: (registry: string) => RegistryClient,
): Promise<Descriptor> {
  const source = await openSource(location, client);
  try {
    const root = await source.root();
    const parsed = parseManifest(root.bytes, root.descriptor.mediaType, `manifest of ${source.description}`);
    return { mediaType: parsed.mediaType, digest: root.descriptor.digest, size: root.descriptor.size };
  } finally {
    await source.close();
  }
}

/**
 * Pushes `input`'s files as an artifact to `target` (tagged `tag`, or by digest alone), referring
 * to `subject` when given. Returns the copy's summary; its descriptor is the artifact's manifest.
 */
export async function pushArtifact(
  target: Location,
  tag: string | undefined,
  input: Omit<ArtifactInput, 'subject'> & { subject?: Location | undefined },
  options: ArtifactPushOptions,
): Promise<{
  summary: CopySummary;
  subject: Descriptor | undefined;
  files: readonly { path: string; layer: Descriptor }[];
}> {
  artifactPlace(target, 'the artifact');
  if (input.subject && !samePlace(input.subject, target))
    throw new UsageError(
      `the subject ${describeLocation(input.subject)} is not in ${describeLocation(target)}: referrers are found per repository, so an artifact must be pushed where its subject is`,
    );
  const subject = input.subject ? await resolveSubject(input.subject, options.client) : undefined;
  const source = await ArtifactSource.build({ ...input, subject });
  const destination = await openDestination(target, options.client, {
    source: target,
    chunkSize: options.chunkSize,
  });
  const summary = await copyImageGraph(new CopySession(options.jobs), source, destination, {
    tag,
    layers: KEEP_LAYERS,
    onEvent: options.onEvent,
    retrier: options.retrier,
  });
  return { summary, subject, files: source.files };
}

export interface PulledArtifact {
  descriptor: Descriptor;
  artifactType: string | undefined;
  subject: Descriptor | undefined;
  files: { title: string; path: string; descriptor: Descriptor }[];
  /** Layers without a title: no file to write them to (oras skips them too). */
  untitled: number;
}

/** Writes the files of the artifact at `location` into `dir` (all of them, or none). */
export async function pullArtifact(
  location: Location,
  dir: string,
  options: { client: (registry: string) => RegistryClient; jobs: number; overwrite: boolean },
): Promise<PulledArtifact> {
  const source = await openSource(location, options.client);
  try {
    const root = await source.root();
    const parsed = parseManifest(root.bytes, root.descriptor.mediaType, `manifest of ${source.description}`);
    if (parsed.kind !== 'image')
      throw new InvalidContentError(
        `${source.description} is an index, not an artifact: name one of its manifests by digest`,
      );
    const { files, untitled } = artifactFiles(parsed.manifest);
    const written = await writeConfined(
      dir,
      files.map((f) => ({ path: f.path, open: () => source.blob(f.descriptor) })),
      { overwrite: options.overwrite, concurrency: options.jobs },
    );
    const manifest = parsed.manifest;
    return {
      descriptor: { ...root.descriptor, mediaType: parsed.mediaType },
      artifactType: manifest.artifactType || manifest.config.mediaType,
      subject: manifest.subject,
      files: files.map((f, i) => ({ title: f.title, path: written[i]!, descriptor: f.descriptor })),
      untitled,
    };
  } finally {
    await source.close();
  }
}
