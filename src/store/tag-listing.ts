/**
 * `ferry ls` over any location: the tags of a registry repository (tags/list), of an OCI layout
 * or OCI tarball (the `org.opencontainers.image.ref.name` of index.json's entries; untagged
 * entries have no name to list), or of a docker-archive (the RepoTags of manifest.json; an
 * untagged image as `@N`, which is how `docker-archive:FILE:@N` names it). Each tag's content is
 * readable the same way for `ls -l` and the filters (registry/describe.ts TagSource).
 */
import { UsageError } from '../errors.js';
import { formatRepository } from '../ref/index.js';
import type { RegistryClient } from '../registry/client.js';
import { registryTagSource, type TagSource } from '../registry/describe.js';
import { type PageOptions, type PageResult, pageOf } from '../registry/pages.js';
import { listTags } from '../registry/tags.js';
import { MANIFEST_JSON, MAX_MANIFEST_JSON_BYTES } from './docker-archive-format.js';
import { readConfig } from './inspect.js';
import { describeLocation, type Location } from './location.js';
import { OciSource, REF_NAME_ANNOTATION, selectRoot } from './oci-common.js';
import type { ImageSource } from './store.js';
import { scanTar } from './tar-index.js';

type ClientFor = (registry: string) => RegistryClient;

export interface TagListing {
  /** What the tags are of, as `ls` prints it: `host/repo`, `oci:DIR`, `docker-archive:FILE`. */
  name: string;
  /** The tag names, a page of them with `limit`/`last`. */
  list(options: PageOptions): Promise<PageResult>;
  /** Each tag's manifest, children and configs, for `ls -l` and the filters. */
  tags: TagSource;
  close(): Promise<void>;
}

/** The content of the image a source holds: the TagContent of one tag. */
function sourceContent(source: () => Promise<ImageSource>, name: string): ReturnType<TagSource['open']> {
  return {
    root: async () => {
      const { descriptor, bytes } = await (await source()).root();
      return { digest: descriptor.digest, mediaType: descriptor.mediaType, bytes };
    },
    child: async (d) => (await source()).manifest(d),
    config: async (d) => readConfig(await source(), d, name),
  };
}

async function ociListing(location: Location & { kind: 'oci' | 'oci-archive' }): Promise<TagListing> {
  const { openSource } = await import('./open.js');
  const source = await openSource(location, () => {
    throw new Error('a layout has no registry');
  });
  if (!(source instanceof OciSource)) throw new Error(`${location.kind} opened as another store`);
  const index = await source.loadIndex();
  const names = index.manifests.flatMap((d) => d.annotations?.[REF_NAME_ANNOTATION] ?? []);
  const name = describeLocation(location);
  return {
    name,
    list: async (options) => pageOf([...new Set(names)], options),
    tags: {
      name: (tag) => describeLocation({ ...location, tag }),
      open: (tag) => {
        const content = sourceContent(async () => source, name);
        return {
          ...content,
          root: async () => {
            const descriptor = selectRoot(index, tag, name);
            const bytes = await source.manifest(descriptor);
            return { digest: descriptor.digest, mediaType: descriptor.mediaType, bytes };
          },
        };
      },
    },
    close: () => source.close(),
  };
}

async function dockerArchiveListing(location: Location & { kind: 'docker-archive' }): Promise<TagListing> {
  const [{ openDockerArchiveSource }, { parseManifestJson }] = await Promise.all([
    import('./docker-archive.js'),
    import('./docker-archive-source.js'),
  ]);
  const file = location.path;
  const tar = await scanTar(file);
  const items = parseManifestJson(await tar.read(MANIFEST_JSON, MAX_MANIFEST_JSON_BYTES), file);
  const names = items.flatMap((item, i) => (item.RepoTags.length > 0 ? item.RepoTags : [`@${i}`]));
  const opened = new Map<string, Promise<ImageSource>>();
  const open = (tag: string): Promise<ImageSource> => {
    let source = opened.get(tag);
    if (source === undefined) {
      source = openDockerArchiveSource(file, tag);
      opened.set(tag, source);
    }
    return source;
  };
  const name = describeLocation(location);
  return {
    name,
    list: async (options) => pageOf([...new Set(names)], options),
    tags: {
      name: (tag) => describeLocation({ ...location, ref: tag }),
      open: (tag) => sourceContent(() => open(tag), name),
    },
    close: async () => {
      for (const source of opened.values()) await (await source.catch(() => undefined))?.close();
    },
  };
}

/** The tags at `location` (ls's REPOSITORY): a registry repository, a layout or an archive. */
export async function openTagListing(location: Location, clientFor: ClientFor): Promise<TagListing> {
  switch (location.kind) {
    case 'registry': {
      const client = clientFor(location.ref.registry);
      const { repository } = location.ref;
      return {
        name: formatRepository(location.ref),
        list: (options) => listTags(client, repository, options),
        tags: registryTagSource(client, repository),
        close: async () => {},
      };
    }
    case 'docker-archive':
      if (location.ref !== undefined)
        throw new UsageError(`ls lists every image of an archive: drop ':${location.ref}'`);
      return dockerArchiveListing(location);
    default:
      if (location.tag !== undefined)
        throw new UsageError(`ls lists every tag of a layout: drop ':${location.tag}'`);
      return ociListing(location);
  }
}
