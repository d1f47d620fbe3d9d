/**
 * Which entries of an image's layers make its flattened filesystem, and how each is written: the
 * decisions `export` takes before it writes a byte (image-spec layer.md, "Applying Changesets").
 *
 * Layers are shown to the plan from the top one down (`addLayer`), their entries' headers only:
 * - an entry is kept when no upper layer has the same path, deletes it (a whiteout `.wh.NAME` of it
 *   or of a directory above it), hides its directory's lower contents (an opaque whiteout
 *   `.wh..wh..opq`), or put something other than a directory at one of its parent paths;
 * - within one layer, the last entry of a name wins (as extraction overwrites);
 * - a directory present in several layers is written once, where it first appears (so it precedes
 *   its contents), with the header of the topmost one;
 * - whiteout files themselves are never written.
 *
 * Hard links: a kept link must point at what its target was in the link's own layer. When that
 * target is itself kept, the link is written as it is. When it is not (an upper layer replaced or
 * deleted it), the target's content is written under the first kept link's name instead, and the
 * other links point there, so every link still names the content it was made to (crane's export
 * gets this wrong: google/go-containerregistry#2002).
 *
 * Memory holds one record per kept path and per hard link, never file contents.
 */

export type EntryType = 'file' | 'directory' | 'link' | 'other';

export interface PlanEntry {
  /** Normalised: no leading `./` or `/`, no trailing `/`. */
  name: string;
  type: EntryType;
  /** A hard link's target, normalised. */
  linkname?: string | undefined;
}

export type Action<H> =
  | { kind: 'write'; header?: H | undefined }
  /** A link target no longer in the filesystem: written as a file under a link's name. */
  | { kind: 'write-as'; name: string }
  /** A kept hard link whose target moved (see above). */
  | { kind: 'link-to'; linkname: string };

export const WHITEOUT_PREFIX = '.wh.';
export const OPAQUE_WHITEOUT = '.wh..wh..opq';

/** './a//b/' → 'a/b'; '/' and '.' → ''. */
export function normaliseName(name: string): string {
  return name
    .split('/')
    .filter((part) => part !== '' && part !== '.')
    .join('/');
}

const parentOf = (name: string): string => {
  const slash = name.lastIndexOf('/');
  return slash === -1 ? '' : name.slice(0, slash);
};

const baseOf = (name: string): string => name.slice(name.lastIndexOf('/') + 1);

/** The strict ancestors of a name, root ('') first: 'a/b/c' → '', 'a', 'a/b'. */
function* ancestors(name: string): Generator<string> {
  yield '';
  let at = name.indexOf('/');
  while (at !== -1) {
    yield name.slice(0, at);
    at = name.indexOf('/', at + 1);
  }
}

interface Owner<H> {
  layer: number;
  ordinal: number;
  directory: boolean;
  /** Where a directory is written: its lowest appearance. */
  at: string;
  header: H | undefined;
}

interface Link {
  name: string;
  layer: number;
  ordinal: number;
  target: string;
  /** The entry the link names (layer:ordinal), once found. */
  source?: string;
}

const key = (layer: number, ordinal: number): string => `${layer}:${ordinal}`;

export class FlattenPlan<H> {
  private readonly owners = new Map<string, Owner<H>>();
  /** Deleted by an upper layer: the path and everything under it. */
  private readonly deleted = new Set<string>();
  /** Made opaque by an upper layer: everything under the directory. */
  private readonly opaque = new Set<string>();
  /** Kept links whose targets are still to be found, by target name. */
  private readonly pending = new Map<string, Link[]>();
  private readonly links: Link[] = [];
  private lastLayer = Number.POSITIVE_INFINITY;
  private actions: Map<string, Action<H>> | undefined;

  /**
   * Layer `layer`'s entries, in archive order; layers must come from the top down. `headerOf(i)`
   * gives entry i's full header, asked only for directories (their topmost header is kept).
   */
  addLayer(layer: number, entries: readonly PlanEntry[], headerOf: (ordinal: number) => H): void {
    if (layer >= this.lastLayer) throw new Error('FlattenPlan: layers must be added from the top down');
    this.lastLayer = layer;
    const last = new Map<string, number>();
    entries.forEach((e, i) => {
      last.set(e.name, i);
    });
    const deletions: string[] = [];
    const opaques: string[] = [];
    const linksHere: Link[] = [];
    entries.forEach((entry, ordinal) => {
      const base = baseOf(entry.name);
      if (base === OPAQUE_WHITEOUT) {
        opaques.push(parentOf(entry.name));
        return;
      }
      if (base.startsWith(WHITEOUT_PREFIX)) {
        const parent = parentOf(entry.name);
        const target = base.slice(WHITEOUT_PREFIX.length);
        deletions.push(parent === '' ? target : `${parent}/${target}`);
        return;
      }
      if (entry.name === '' || last.get(entry.name) !== ordinal || this.hidden(entry.name)) return;
      const directory = entry.type === 'directory';
      const owner = this.owners.get(entry.name);
      if (owner !== undefined) {
        // A directory again, lower down: written here, first, with the upper header.
        if (owner.directory && directory) owner.at = key(layer, ordinal);
        return;
      }
      this.owners.set(entry.name, {
        layer,
        ordinal,
        directory,
        at: key(layer, ordinal),
        header: directory ? headerOf(ordinal) : undefined,
      });
      if (entry.type === 'link' && entry.linkname !== undefined && entry.linkname !== '') {
        const link: Link = { name: entry.name, layer, ordinal, target: entry.linkname };
        this.links.push(link);
        linksHere.push(link);
      }
    });
    for (const link of linksHere)
      this.pending.set(link.target, [...(this.pending.get(link.target) ?? []), link]);
    // A link's target is the last entry of that name in the highest layer at or below the link's.
    for (const [name, ordinal] of last) {
      const waiting = this.pending.get(name);
      if (waiting === undefined) continue;
      for (const link of waiting) link.source = key(layer, ordinal);
      this.pending.delete(name);
    }
    for (const d of deletions) this.deleted.add(d);
    for (const o of opaques) this.opaque.add(o);
  }

  /** Whether upper layers deleted `name`, hid it under an opaque directory, or replaced a parent. */
  private hidden(name: string): boolean {
    if (this.deleted.has(name)) return true;
    for (const a of ancestors(name)) {
      if (this.opaque.has(a) || this.deleted.has(a)) return true;
      const owner = a === '' ? undefined : this.owners.get(a);
      if (owner !== undefined && !owner.directory) return true;
    }
    return false;
  }

  /** What to do with entry `ordinal` of layer `layer`; undefined: leave it out. */
  action(layer: number, ordinal: number): Action<H> | undefined {
    this.actions ??= this.settle();
    return this.actions.get(key(layer, ordinal));
  }

  private settle(): Map<string, Action<H>> {
    const actions = new Map<string, Action<H>>();
    const written = new Map<string, string>();
    for (const [name, owner] of this.owners) {
      actions.set(owner.at, { kind: 'write', header: owner.header });
      written.set(owner.at, name);
    }
    const moved = new Map<string, string>();
    for (const link of this.links) {
      if (link.source === undefined || written.get(link.source) === link.target) continue;
      const home = moved.get(link.source);
      const own = key(link.layer, link.ordinal);
      if (home === undefined) {
        // The target is gone: its content goes under this link's name, where the link was.
        moved.set(link.source, link.name);
        actions.set(link.source, { kind: 'write-as', name: link.name });
        actions.delete(own);
      } else {
        actions.set(own, { kind: 'link-to', linkname: home });
      }
    }
    return actions;
  }
}
