/**
 * Media types ferry understands (opencontainers/image-spec media-types.md, and the Docker
 * Image Manifest V2 Schema 2 equivalents it extends).
 */

export const MediaType = {
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayer: 'application/vnd.oci.image.layer.v1.tar',
  ociLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  ociLayerZstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
  ociEmpty: 'application/vnd.oci.empty.v1+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  dockerForeignLayerGzip: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
  dockerSchema1Signed: 'application/vnd.docker.distribution.manifest.v1+prettyjws',
} as const;

/**
 * What ferry sends as Accept for manifests. All four are needed against Distribution 2.8:
 * without the OCI types an OCI manifest is a 404, without the list type the registry answers
 * with the linux/amd64 child, and without the v2 type a Docker manifest is down-converted to
 * schema 1 with another digest (shared/lab/LAB.md §5).
 */
export const MANIFEST_ACCEPT: readonly string[] = [
  MediaType.ociIndex,
  MediaType.ociManifest,
  MediaType.dockerManifestList,
  MediaType.dockerManifest,
];

export function isIndexType(mediaType: string | undefined): boolean {
  return mediaType === MediaType.ociIndex || mediaType === MediaType.dockerManifestList;
}

export function isImageManifestType(mediaType: string | undefined): boolean {
  return mediaType === MediaType.ociManifest || mediaType === MediaType.dockerManifest;
}

export function isManifestType(mediaType: string | undefined): boolean {
  return isIndexType(mediaType) || isImageManifestType(mediaType);
}

/**
 * RFC 6838 section 4.2 names, `type/subtype`, each a letter or digit then up to 126 of
 * `A-Za-z0-9!#$&^_.+-`. Parameters (`; charset=utf-8`) are tolerated, printable ASCII only.
 * A parameter holds no ';' (`[!-:<-~]` is `[!-~]` without it): were ';' allowed inside one, a run
 * of them could be split between parameters in exponentially many ways, and a failing match
 * (`a/b;;;;…;; `, from any registry) would backtrack through them all.
 */
const MEDIA_TYPE =
  /^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}(?:[ \t]*;[ \t]*[!-:<-~]+)*$/;

/**
 * Whether `value` is a media type at all (image-spec descriptor.md: mediaType values MUST comply
 * with RFC 6838). Which types ferry understands is another question: a config or layer may carry
 * any well-formed type (OCI artifacts do), only manifests must be ones ferry can parse.
 */
export function isMediaType(value: string): boolean {
  return MEDIA_TYPE.test(value);
}
