/** Fields several shapes share, worded once. */
import { f, t } from '../shape.js';

export const repositoryField = f(
  t.string,
  'the repository, with its registry: `registry.example.com/team/app`',
);
export const tagField = f(t.string, 'the tag');
export const digestField = f(t.string, 'the digest of the manifest or index: `sha256:…`');
export const mediaTypeField = f(t.string, 'the media type of the manifest or index');
export const referenceField = f(t.string, 'the image as given, in full: `docker.io/library/alpine:3.20`');
