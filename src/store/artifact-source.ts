/**
 * Local files as an artifact to push (`ferry artifact push`, `ferry attach`): an ImageSource
 * whose root is the artifact manifest built from them (image/artifact.ts), so the copy engine
 * pushes it like any other image (architecture.md §7, "built images are sources"): blobs first,
 * HEAD-skip, the manifest last.
 *
 * Each file is read twice: once here to learn its digest and size (the manifest names them), and
 * again as it is sent, through a VerifyingStream, so a file changed in between fails the push
 * (digest mismatch) instead of sending bytes the manifest does not name.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { digestOf } from '../digest/index.js';
import { LocalError, NotFoundError, UsageError } from '../errors.js';
import { artifactManifest, DEFAULT_FILE_TYPE, MAX_ARTIFACT_FILES, shownTitle } from '../image/artifact.js';
import type { Descriptor } from '../image/descriptor.js';
import { MAX_MANIFEST_BYTES } from '../image/manifest.js';
import { isMediaType, MediaType } from '../image/media-types.js';
import { EMPTY_DESCRIPTOR, EMPTY_JSON, TITLE_ANNOTATION } from '../image/referrers.js';
import { verifiedStream } from './oci-common.js';
import type { ImageSource, Referrer, SourceTraits, StoredManifest } from './store.js';

export interface ArtifactInput {
  /** `FILE` or `FILE:MEDIATYPE`, as given on the command line. */
  files: readonly string[];
  artifactType: string;
  annotations?: Readonly<Record<string, string>> | undefined;
  subject?: Descriptor | undefined;
}

/**
 * `FILE[:MEDIATYPE]`: the part after the last ':' is a media type when it reads as one and the
 * whole argument is not itself an existing file.
 */
async function splitFileArg(arg: string): Promise<{ path: string; mediaType: string }> {
  const colon = arg.lastIndexOf(':');
  const exists = (path: string) =>
    stat(path).then(
      () => true,
      () => false,
    );
  if (colon > 0 && isMediaType(arg.slice(colon + 1)) && !(await exists(arg)))
    return { path: arg.slice(0, colon), mediaType: arg.slice(colon + 1) };
  return { path: arg, mediaType: DEFAULT_FILE_TYPE };
}

async function describeFile(path: string, mediaType: string): Promise<Descriptor> {
  let info: Awaited<ReturnType<typeof stat>>;
  try {
    info = await stat(path);
  } catch {
    throw new LocalError(`${path}: no such file`);
  }
  if (info.isDirectory())
    throw new UsageError(`${path} is a directory: ferry pushes files (tar it first, or name its files)`);
  if (!info.isFile()) throw new UsageError(`${path} is not a regular file`);
  const hash = createHash('sha256');
  let size = 0;
  await pipeline(createReadStream(path), async (chunks: AsyncIterable<Buffer>) => {
    for await (const chunk of chunks) {
      hash.update(chunk);
      size += chunk.length;
    }
  });
  return {
    mediaType,
    digest: `sha256:${hash.digest('hex')}`,
    size,
    annotations: { [TITLE_ANNOTATION]: basename(path) },
  };
}

export class ArtifactSource implements ImageSource {
  readonly description: string;
  readonly traits: SourceTraits = { layers: 'as-published', listsReferrers: false };

  /** Each layer's file, by digest. */
  private readonly paths: ReadonlyMap<string, string>;

  private constructor(
    private readonly built: StoredManifest,
    /** The files, in the order of the layers. */
    readonly files: readonly { path: string; layer: Descriptor }[],
  ) {
    this.paths = new Map(files.map((f) => [f.layer.digest, f.path]));
    this.description = `artifact of ${files.length === 1 ? files[0]!.path : `${files.length} files`}`;
  }

  /** Reads the files (their digests), checks them, and builds the manifest. */
  static async build(input: ArtifactInput): Promise<ArtifactSource> {
    if (!isMediaType(input.artifactType))
      throw new UsageError(`--artifact-type '${input.artifactType}' is not a media type (type/subtype)`);
    if (input.files.length > MAX_ARTIFACT_FILES)
      throw new UsageError(`${input.files.length} files: an artifact holds at most ${MAX_ARTIFACT_FILES}`);
    const files: { path: string; layer: Descriptor }[] = [];
    const titles = new Set<string>();
    for (const arg of input.files) {
      const { path, mediaType } = await splitFileArg(arg);
      const layer = await describeFile(path, mediaType);
      const title = layer.annotations?.[TITLE_ANNOTATION] ?? '';
      if (titles.has(title))
        throw new UsageError(
          `two files are named ${shownTitle(title)}: an artifact's file names must differ`,
        );
      titles.add(title);
      files.push({ path, layer });
    }
    const bytes = artifactManifest({
      artifactType: input.artifactType,
      layers: files.map((f) => f.layer),
      annotations: input.annotations,
      subject: input.subject,
    });
    if (bytes.length > MAX_MANIFEST_BYTES)
      throw new UsageError(
        `the artifact's manifest would be ${bytes.length} bytes, more than registries take`,
      );
    const descriptor = { mediaType: MediaType.ociManifest, digest: digestOf(bytes), size: bytes.length };
    return new ArtifactSource({ descriptor, bytes }, files);
  }

  async root(): Promise<StoredManifest> {
    return this.built;
  }

  async manifest(descriptor: Descriptor): Promise<Buffer> {
    if (descriptor.digest !== this.built.descriptor.digest)
      throw new NotFoundError(`manifest ${descriptor.digest} is not part of the ${this.description}`);
    return this.built.bytes;
  }

  async blob(descriptor: Descriptor): Promise<Readable> {
    const what = `blob ${descriptor.digest} of the ${this.description}`;
    if (descriptor.digest === EMPTY_DESCRIPTOR.digest)
      return verifiedStream(Readable.from([EMPTY_JSON]), descriptor, what);
    const path = this.paths.get(descriptor.digest);
    if (path === undefined) throw new NotFoundError(`${what} not found`);
    return verifiedStream(createReadStream(path), descriptor, `${path} (changed since it was read?)`);
  }

  placeOf(): undefined {
    return undefined;
  }

  /** Being pushed, it has none yet. */
  async referrers(): Promise<Referrer[]> {
    return [];
  }

  async close(): Promise<void> {}
}
