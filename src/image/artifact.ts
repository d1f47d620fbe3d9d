/**
 * Artifacts: files packed as an OCI image manifest (image-spec manifest.md, "Guidance for
 * artifacts", the shape oras pushes and pulls): each file a layer whose
 * `org.opencontainers.image.title` annotation is its name, the config the empty descriptor
 * (`{}`), the kind in `artifactType`, and optionally a `subject`. No I/O here: the manifest from
 * descriptors, and the checks a pulled manifest's file names must pass before any is written.
 */
import { InvalidContentError } from '../errors.js';
import type { Descriptor } from './descriptor.js';
import type { ImageManifest } from './manifest.js';
import { MediaType } from './media-types.js';
import { EMPTY_DESCRIPTOR, TITLE_ANNOTATION } from './referrers.js';

/** oras's default when no artifact type is given (`oras push` without --artifact-type). */
export const DEFAULT_ARTIFACT_TYPE = 'application/vnd.unknown.artifact.v1';
/** A file's media type when none is given: bytes, nothing more is claimed about them. */
export const DEFAULT_FILE_TYPE = 'application/octet-stream';
/** Files one artifact may hold, pushed or pulled: more is refused as hostile rather than written. */
export const MAX_ARTIFACT_FILES = 1000;
/** Limits of one name, as Linux has them (NAME_MAX, PATH_MAX). */
const MAX_SEGMENT = 255;
const MAX_TITLE = 4096;

export interface ArtifactParts {
  artifactType: string;
  /** The files' layers, each carrying its title. */
  layers: readonly Descriptor[];
  annotations?: Readonly<Record<string, string>> | undefined;
  subject?: Descriptor | undefined;
}

/**
 * The manifest's bytes. Without files, the one layer is the empty descriptor (the spec: a single
 * layer SHOULD be included; the empty descriptor is the suggested content). Keys in a fixed order
 * and no timestamp: the same files give the same digest.
 */
export function artifactManifest(parts: ArtifactParts): Buffer {
  const doc: ImageManifest & { mediaType: string } = {
    schemaVersion: 2,
    mediaType: MediaType.ociManifest,
    artifactType: parts.artifactType,
    config: { ...EMPTY_DESCRIPTOR },
    layers: parts.layers.length > 0 ? [...parts.layers] : [{ ...EMPTY_DESCRIPTOR }],
  };
  if (parts.subject) doc.subject = parts.subject;
  if (parts.annotations && Object.keys(parts.annotations).length > 0)
    doc.annotations = { ...parts.annotations };
  return Buffer.from(JSON.stringify(doc));
}

/** Control characters (C0, DEL, C1) and NUL: never in a file name ferry writes. */
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** A title for a message: quoted, control characters escaped, cut short. */
export const shownTitle = (title: string): string =>
  JSON.stringify(title.length > 80 ? `${title.slice(0, 80)}…` : title);

/**
 * The relative path a title names inside the output directory, or a UsageError-worthy reason it
 * names none: absolute paths, `..` anywhere, backslashes (a separator elsewhere), control
 * characters, empty names and overlong ones are refused (oras refuses the same by default and
 * needs --allow-path-traversal to write outside).
 */
export function titlePath(title: string): string {
  const refuse = (why: string): never => {
    throw new InvalidContentError(
      `the artifact names a file ${shownTitle(title)}: ${why}; nothing was written`,
    );
  };
  if (title === '') refuse('an empty name');
  if (title.length > MAX_TITLE) refuse('a name too long');
  if (CONTROL.test(title)) refuse('a control character in the name');
  if (title.includes('\\')) refuse('a backslash in the name');
  if (title.startsWith('/')) refuse('an absolute path');
  const segments = title.split('/').filter((s) => s !== '' && s !== '.');
  if (segments.length === 0) refuse('no file name');
  if (segments.some((s) => s === '..')) refuse('a path out of the directory (..)');
  if (segments.some((s) => s.length > MAX_SEGMENT)) refuse('a name too long');
  if (title.endsWith('/')) refuse('a directory, not a file');
  return segments.join('/');
}

export interface ArtifactFile {
  /** Where it goes, relative to the output directory (titlePath). */
  path: string;
  title: string;
  descriptor: Descriptor;
}

/**
 * The files a pulled artifact's manifest asks for, checked together before any is written: every
 * titled layer (an untitled one is no file, as oras skips it), at most MAX_ARTIFACT_FILES, each
 * path safe (titlePath), no two the same, and none a directory of another (`a` and `a/b`).
 */
export function artifactFiles(manifest: ImageManifest): { files: ArtifactFile[]; untitled: number } {
  if (manifest.layers.length > MAX_ARTIFACT_FILES)
    throw new InvalidContentError(
      `the artifact has ${manifest.layers.length} layers, more than the ${MAX_ARTIFACT_FILES} ferry writes; nothing was written`,
    );
  const files: ArtifactFile[] = [];
  let untitled = 0;
  const paths = new Set<string>();
  for (const layer of manifest.layers) {
    const title = layer.annotations?.[TITLE_ANNOTATION];
    if (title === undefined) {
      untitled++;
      continue;
    }
    const path = titlePath(title);
    if (paths.has(path))
      throw new InvalidContentError(
        `the artifact names the file ${shownTitle(path)} twice; nothing was written`,
      );
    paths.add(path);
    files.push({ path, title, descriptor: layer });
  }
  for (const path of paths) {
    const parts = path.split('/');
    for (let i = 1; i < parts.length; i++) {
      const dir = parts.slice(0, i).join('/');
      if (paths.has(dir))
        throw new InvalidContentError(
          `the artifact names ${shownTitle(dir)} as a file and as the directory of ${shownTitle(path)}; nothing was written`,
        );
    }
  }
  return { files, untitled };
}
