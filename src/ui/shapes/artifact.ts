/** What `artifact push`, `artifact pull` and `attach` print (see index.ts). */
import type { Descriptor } from '../../image/descriptor.js';
import { f, t } from '../shape.js';

const fileShape = t.object({
  title: f(t.string, 'its name in the artifact (`org.opencontainers.image.title`)'),
  path: f(t.string, 'the file on this machine: the one pushed, or the one pulled into the directory'),
  mediaType: f(t.string, 'its media type'),
  digest: f(t.string, 'its digest'),
  size: f(t.number, 'its size in bytes'),
});

export const artifactShape = t.object({
  reference: f(t.string, 'the artifact: pushed, `host/repo@sha256:…` (or the OCI layout); pulled, as given'),
  tag: f(
    t.nullable(t.string),
    'the tag pushed to; null for an artifact stored by digest (attach) and for a pull',
  ),
  digest: f(t.string, "the digest of the artifact's manifest"),
  mediaType: f(t.string, "the media type of the artifact's manifest"),
  size: f(t.number, "the size of the artifact's manifest in bytes"),
  artifactType: f(t.nullable(t.string), "its artifact type (else its config's media type)"),
  subject: f(t.nullable(t.string), 'the digest of the manifest it refers to; null when it refers to none'),
  files: f(t.list(fileShape), 'its files, in the order of its layers'),
});

export interface ArtifactFileJson {
  title: string;
  path: string;
  mediaType: string;
  digest: string;
  size: number;
}
export interface ArtifactJson {
  reference: string;
  tag: string | null;
  digest: string;
  mediaType: string;
  size: number;
  artifactType: string | null;
  subject: string | null;
  files: ArtifactFileJson[];
}

export const artifactFileJson = (title: string, path: string, d: Descriptor): ArtifactFileJson => ({
  title,
  path,
  mediaType: d.mediaType,
  digest: d.digest,
  size: d.size,
});

export const artifactJson = (
  reference: string,
  tag: string | undefined,
  manifest: Descriptor,
  artifactType: string | undefined,
  subject: Descriptor | undefined,
  files: readonly ArtifactFileJson[],
): ArtifactJson => ({
  reference,
  tag: tag ?? null,
  digest: manifest.digest,
  mediaType: manifest.mediaType,
  size: manifest.size,
  artifactType: artifactType ?? null,
  subject: subject?.digest ?? null,
  files: [...files],
});
