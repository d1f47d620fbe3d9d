/**
 * Referrers travel with the image (`copy -r`, `pull -r`, `push -r`; oras-go's ExtendedCopy,
 * architecture.md §7): once the image graph is at the destination, and before the destination
 * commits, the referrers of every manifest the copy visited are copied through the same engine
 * (image-copy.ts GraphCopy: blobs first, digests kept, HEAD-skip, mounts), then the referrers of
 * those, and so on. The destination keeps each as a referrer of its subject its own way (store.ts
 * `traits.referrers`: nothing to do with a registry's referrers API, the referrers tag without
 * it, index.json entries in a layout). Legacy cosign tags (`sha256-<hex>.sig`) go with their tag.
 *
 * A listed referrer is read and must name the manifest it was listed for: a referrers tag that
 * lists something else (GitLab's answer for that tag is the image itself, oras-go#1396) brings
 * nothing. Referrers of a manifest whose digest changed on the way (a layer gzip'd, platforms
 * left out of an index) stay behind, counted: they name a digest the destination does not hold.
 * So do those of an index one platform was picked out of (`--platform P`: the destination holds
 * that image alone), whether or not -r was given: a signature of the index signs a digest that is
 * not there, and copying it would make it a referrer of nothing.
 *
 * Without `-r` they are only counted, for the closing line, at the cost of one listing per
 * manifest copied where it is cheap: the source says which (registry/tag-lookup.ts, referrers.ts:
 * a registry without the API costs one probe and one tag list per repository and run, then a
 * GET only for a manifest whose referrers tag exists; with the API, one GET per manifest). The
 * counting starts as each manifest is done, beside the transfers, and never fails the copy.
 */
import { FerryError, InvalidContentError, UsageError } from '../errors.js';
import type { Descriptor } from '../image/descriptor.js';
import { parseManifest } from '../image/manifest.js';
import { referrerDescriptor, subjectOf } from '../image/referrers.js';
import type { ImageDestination, ImageSource, Referrer } from '../store/store.js';
import type { CopyListener, CopySummary, ReferrersSummary } from './events.js';
import type { GraphCopy, GraphExtension } from './image-copy.js';

/** Referrers of referrers followed this deep at most (a signature on an SBOM is depth 2). */
const MAX_DEPTH = 16;
/** Referrers copied with one image at most: a source listing more is refused, not followed. */
const MAX_REFERRERS = 10_000;

export type ReferrersMode = 'copy' | 'count';

/**
 * The walk for one copy, or undefined when there is nothing to walk or count (the source holds
 * no referrers, or the destination can keep none and they were not asked for). With `-r` into a
 * destination that cannot keep them: a UsageError, before anything moves.
 */
export function referrersWalk(
  source: ImageSource,
  destination: ImageDestination,
  mode: ReferrersMode,
): ReferrersWalk | undefined {
  if (mode === 'copy' && destination.traits.referrers === 'none')
    throw new UsageError(`${destination.description} cannot hold referrers (signatures, SBOMs): drop -r`, {
      // Said for copy and push too, whose --format is a template: the destination forms first.
      hint: 'an OCI layout or tarball keeps them: oci:DIR or oci-archive:FILE (pull: --format oci-dir or oci)',
    });
  if (!source.traits.listsReferrers || destination.traits.referrers === 'none') return undefined;
  return new ReferrersWalk(source, destination, mode);
}

export class ReferrersWalk implements GraphExtension {
  /** The manifests the copy visited, by their source digest. */
  private readonly visited = new Map<string, Descriptor>();
  /** Source digests of the manifests rebuilt on the way (by their new digest, from the events). */
  private readonly rebuilt = new Map<string, Descriptor>();
  /** Indexes a platform was picked out of: the destination does not hold them (by source digest). */
  private readonly pickedFrom = new Map<string, Descriptor>();
  /** Each visited manifest's referrers, asked for as soon as it is done (beside the transfers). */
  private readonly listings = new Map<string, Promise<Referrer[]>>();
  /** Manifests the walk found already at the destination (their keeping is checked again). */
  private readonly present = new Set<string>();
  private walking = false;

  constructor(
    private readonly source: ImageSource,
    private readonly destination: ImageDestination,
    private readonly mode: ReferrersMode,
  ) {}

  /** Wraps the copy's listener: the walk learns from the events which manifests were copied. */
  listener(next: CopyListener | undefined): CopyListener {
    return (event) => {
      if (event.type === 'changed' && event.change.kind === 'rebuilt')
        this.rebuilt.set(event.change.to.digest, event.change.from);
      else if (event.type === 'manifest-done') this.visit(event.descriptor, event.outcome);
      else if (event.type === 'platform-picked' && !this.walking) {
        this.pickedFrom.set(event.from.digest, event.from);
        void this.listing(event.from);
      }
      next?.(event);
    };
  }

  private visit(descriptor: Descriptor, outcome: 'pushed' | 'skipped'): void {
    if (this.walking) {
      if (outcome === 'skipped') this.present.add(descriptor.digest);
      return;
    }
    const subject = this.rebuilt.get(descriptor.digest) ?? descriptor;
    if (this.visited.has(subject.digest)) return;
    this.visited.set(subject.digest, subject);
    void this.listing(subject);
  }

  /** The source's referrers of `subject`, asked for once. */
  private listing(subject: Descriptor): Promise<Referrer[]> {
    let listing = this.listings.get(subject.digest);
    if (!listing) {
      listing = this.source.referrers(subject);
      listing.catch(() => {}); // awaited later, or only counted
      this.listings.set(subject.digest, listing);
    }
    return listing;
  }

  async run(graph: GraphCopy, summary: CopySummary): Promise<CopySummary> {
    // --no-clobber left the destination's tag alone: nothing was copied, nothing follows.
    if (summary.outcome === 'existing') return summary;
    if (this.mode === 'count') return { ...summary, referrers: await this.counted() };
    // Source manifests the destination holds under no digest of theirs: their referrers stay.
    const behind = new Map(
      [...this.rebuilt.values(), ...this.pickedFrom.values()].map((d) => [d.digest, d] as const),
    );
    const subjects = [...this.visited.values()].filter((d) => !behind.has(d.digest));
    // An index found in step was not walked, except one the copy built (platforms picked): its
    // children were, and the source does not hold it.
    if (summary.outcome === 'in-step' && !this.rebuilt.has(summary.descriptor.digest))
      subjects.push(...(await this.childrenOf(summary.descriptor)));
    const stayed = await Promise.all([...behind.values()].map((d) => this.listing(d)));
    const left = stayed.reduce((n, list) => n + list.length, 0);
    this.walking = true;
    const copied = await this.walk(graph, subjects);
    return { ...summary, ...graph.totals(), referrers: { followed: true, copied, left } };
  }

  /** Without -r: how many referrers the copied manifests have (null if any listing failed). */
  private async counted(): Promise<ReferrersSummary> {
    const settled = await Promise.allSettled(this.listings.values());
    const left = settled.every((s) => s.status === 'fulfilled')
      ? settled.reduce((n, s) => n + (s as PromiseFulfilledResult<Referrer[]>).value.length, 0)
      : null;
    return { followed: false, copied: 0, left };
  }

  /**
   * The children of an index the copy found in step (its tag already named it, so they were not
   * visited): their referrers may be new all the same.
   */
  private async childrenOf(root: Descriptor): Promise<Descriptor[]> {
    const bytes = await this.source.manifest(root);
    const parsed = parseManifest(bytes, root.mediaType, `manifest ${root.digest}`);
    return parsed.kind === 'index' ? parsed.index.manifests.filter((d) => !this.visited.has(d.digest)) : [];
  }

  /** Copies the referrers of `subjects`, then theirs, level by level; returns how many were copied. */
  private async walk(graph: GraphCopy, subjects: readonly Descriptor[]): Promise<number> {
    const walked = new Set(subjects.map((d) => d.digest));
    const taken = new Set<string>();
    let copied = 0;
    let level = subjects;
    for (let depth = 0; level.length > 0 && depth < MAX_DEPTH; depth++) {
      const next: Descriptor[] = [];
      await this.each(level, async (subject) => {
        const listed = (await this.listing(subject)).filter((r) => {
          const key = `${r.descriptor.digest}\0${r.tag ?? ''}`;
          if (taken.has(key)) return false;
          taken.add(key);
          return true;
        });
        if (taken.size > MAX_REFERRERS)
          throw new InvalidContentError(
            `${this.source.description} lists more than ${MAX_REFERRERS} referrers; refusing to copy them`,
          );
        const done = await this.each(listed, (r) => this.copyOne(graph, subject, r));
        const unkept: Descriptor[] = [];
        for (const result of done) {
          if (!result) continue;
          copied++;
          if (!walked.has(result.source.digest)) {
            walked.add(result.source.digest);
            next.push(result.source);
          }
          if (result.entry && this.present.has(result.at.digest)) unkept.push(result.entry);
        }
        // Those already at the destination were not put: make sure they are kept as referrers
        // (a run interrupted between a referrer's PUT and its referrers tag would leave it unfound).
        if (unkept.length > 0) await this.destination.putReferrers(subject, unkept);
      });
      level = next;
    }
    return copied;
  }

  /**
   * One referrer: read, checked to name `subject` (a legacy tag names none), copied; undefined
   * when the listing was wrong about it.
   */
  private async copyOne(
    graph: GraphCopy,
    subject: Descriptor,
    referrer: Referrer,
  ): Promise<{ source: Descriptor; at: Descriptor; entry: Descriptor | undefined } | undefined> {
    const listed = referrer.descriptor;
    const bytes = await this.source.manifest(listed);
    let parsed: ReturnType<typeof parseManifest>;
    try {
      parsed = parseManifest(bytes, listed.mediaType, `manifest ${listed.digest}`);
    } catch (err) {
      if (err instanceof FerryError && referrer.tag === undefined) return undefined;
      throw err;
    }
    if (referrer.tag === undefined && subjectOf(parsed)?.digest !== subject.digest) return undefined;
    const source = { mediaType: parsed.mediaType, digest: listed.digest, size: bytes.length };
    if (referrer.tag !== undefined) {
      const there = await this.destination.tagged(referrer.tag);
      // Taken as there only where the destination vouches for what its tags name (store.ts).
      if (there.kind === 'names' && there.complete && there.descriptor.digest === source.digest)
        return { source, at: there.descriptor, entry: undefined };
    }
    const at = await graph.copyManifest({ descriptor: source, bytes }, referrer.tag);
    return {
      source,
      at,
      entry: referrer.tag === undefined ? referrerDescriptor(at, parsed) : undefined,
    };
  }

  /**
   * Runs `task` for each item, one at a time into a sequential destination (a tarball), else all
   * at once (the engine's limiter bounds the transfers); every task settles before the first
   * failure is thrown, so none is left running while the destination is aborted.
   */
  private async each<T, R>(items: readonly T[], task: (item: T) => Promise<R>): Promise<R[]> {
    if (this.destination.traits.sequential) {
      const results: R[] = [];
      for (const item of items) results.push(await task(item));
      return results;
    }
    const settled = await Promise.allSettled(items.map(task));
    const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) throw failed.reason;
    return settled.map((s) => (s as PromiseFulfilledResult<R>).value);
  }
}
