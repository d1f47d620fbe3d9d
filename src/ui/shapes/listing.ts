/** What `catalog` and `ls` print (see index.ts). */
import type { TagDescription } from '../../registry/describe.js';
import { f, t } from '../shape.js';
import { digestField, mediaTypeField, repositoryField, tagField } from './fields.js';

// ---- catalog ----------------------------------------------------------------------------------

export const catalogShape = t.object({
  registry: f(t.string, 'the registry, as given: `registry.example.com`, `localhost:5000`'),
  repositories: f(t.list(t.string), 'the repository names, in the order the registry keeps (lexical)'),
  next: f(
    t.nullable(t.string),
    'with `--limit`: the `--last` value for the next page; null on the last page',
  ),
});
export interface CatalogJson {
  registry: string;
  repositories: string[];
  next: string | null;
}
export const catalogJson = (registry: string, names: readonly string[], next?: string): CatalogJson => ({
  registry,
  repositories: [...names],
  next: next ?? null,
});

export const catalogItemShape = t.object({
  repository: f(t.string, 'the repository name, without the registry: `team/app`'),
  registry: catalogShape.fields['registry']!,
});
export interface CatalogItem {
  repository: string;
  registry: string;
}
export const catalogItem = (registry: string, repository: string): CatalogItem => ({ repository, registry });

// ---- ls ---------------------------------------------------------------------------------------

export const tagsShape = t.object({
  repository: repositoryField,
  tags: f(
    t.list(t.string),
    'the tags that passed the filters, in version order (`1.9` before `1.10`, `1.0-rc1` before `1.0`)',
  ),
  next: f(
    t.nullable(t.string),
    'with `--limit`: the `--last` value for the next page; null on the last page',
  ),
});
export interface TagsJson {
  repository: string;
  tags: string[];
  next: string | null;
}
export const tagsJson = (repository: string, tags: readonly string[], next?: string): TagsJson => ({
  repository,
  tags: [...tags],
  next: next ?? null,
});

const tagRowFields = {
  tag: tagField,
  digest: digestField,
  mediaType: mediaTypeField,
  platforms: f(
    t.list(t.string),
    '`os/arch[/variant]` of the image, or of each image of an index (attestations left out)',
  ),
  size: f(t.number, 'compressed bytes of every config and layer the tag references, all platforms together'),
  created: f(
    t.nullable(t.string),
    '`created` from the image config (an index: the newest of its images); null if none',
  ),
};
export const tagRowShape = t.object(tagRowFields);
export interface TagRow {
  tag: string;
  digest: string;
  mediaType: string;
  platforms: string[];
  size: number;
  created: string | null;
}
export const tagRowJson = (d: TagDescription): TagRow => ({
  tag: d.tag,
  digest: d.digest,
  mediaType: d.mediaType,
  platforms: [...d.platforms],
  size: d.size,
  created: d.created ?? null,
});

/** `ls -l --json`: the rows, with the page's `next` as `ls --json` has it. */
export const tagRowsShape = t.object({
  repository: repositoryField,
  tags: f(t.list(tagRowShape), 'one object per tag that passed the filters, in version order'),
  next: tagsShape.fields['next']!,
});
export interface TagRowsJson {
  repository: string;
  tags: TagRow[];
  next: string | null;
}
export const tagRowsJson = (repository: string, rows: readonly TagRow[], next?: string): TagRowsJson => ({
  repository,
  tags: [...rows],
  next: next ?? null,
});

export const tagItemShape = t.object({ repository: repositoryField, ...tagRowFields });
export type TagItem = { repository: string; tag: string } & Partial<TagRow>;
/**
 * One tag for a template. `description` is there whenever the template reads more than Tag and
 * Repository (ls describes the tags then), so a template never sees a missing field.
 */
export const tagItem = (repository: string, tag: string, d?: TagDescription): TagItem =>
  d ? { repository, ...tagRowJson(d) } : { repository, tag };

/** The item fields `ls` has without describing a tag. */
export const TAG_ITEM_CHEAP_FIELDS: readonly string[] = ['repository', 'tag'];
