/**
 * docker-archive: the `docker save` / `docker load` tarball (moby/docker-image-spec v1.2,
 * "Combined Image JSON + Filesystem Changeset Format") as an ImageSource (push: every layout
 * Docker, skopeo, crane and regctl write) and an ImageDestination (pull: a tar that `docker load`
 * and skopeo read). Format notes in docker-archive-format.ts; each side in its own file.
 */

export {
  DockerArchiveDestination,
  type DockerArchiveDestinationOptions,
  openDockerArchiveDestination,
} from './docker-archive-destination.js';
export { type ArchiveName, archiveName } from './docker-archive-format.js';
export { DockerArchiveSource, openDockerArchiveSource } from './docker-archive-source.js';
