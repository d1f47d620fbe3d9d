/**
 * `ferry referrers`: the referrers of an image, in any store (a registry, an OCI layout or
 * tarball), as each store lists them (store.ts `referrers()`): those whose `subject` names it,
 * and cosign's legacy `sha256-<hex>.sig/.att/.sbom` tags, marked. With `depth` above 1, the
 * referrers of those too (a signature on an SBOM), as `oras discover` shows them; an
 * `artifactType` filter applies at every depth, as there.
 */
import { InvalidContentError } from '../errors.js';
import type { Descriptor, Platform } from '../image/descriptor.js';
import type { RegistryClient } from '../registry/client.js';
import { resolveImage } from './inspect.js';
import type { Location } from './location.js';
import { openSource } from './open.js';
import type { ImageSource, Referrer } from './store.js';

/** Referrers listed at most, over every depth: a store listing more is refused, not printed. */
const MAX_LISTED = 10_000;

export interface ListedReferrer extends Referrer {
  /** The digest of the manifest it refers to. */
  subject: string;
  /** 1 for the image's own referrers, 2 for theirs, and so on. */
  depth: number;
}

export interface ReferrerListing {
  /** The manifest whose referrers these are (with `platform`, the image picked out of an index). */
  subject: Descriptor;
  referrers: ListedReferrer[];
}

export interface ReferrerQuery {
  /** Only referrers of this artifact type (at every depth). */
  artifactType?: string | undefined;
  /** Levels to follow: 1, the image's own referrers; Infinity, all (`--tree`). */
  depth: number;
  /** The image of this platform out of an index, rather than the index. */
  platform?: Platform | undefined;
}

export async function listReferrerTree(source: ImageSource, query: ReferrerQuery): Promise<ReferrerListing> {
  // --platform is checked as every command checks it (inspect.ts): a single image must state
  // that platform in its config, not be taken whatever it is.
  const { descriptor: subject } = await resolveImage(source, source.description, query.platform);
  const referrers: ListedReferrer[] = [];
  const seen = new Set([subject.digest]);
  let level = [subject];
  for (let depth = 1; level.length > 0 && depth <= query.depth; depth++) {
    const lists = await Promise.all(level.map((s) => source.referrers(s)));
    const next: Descriptor[] = [];
    lists.forEach((list, i) => {
      for (const r of list) {
        if (query.artifactType !== undefined && r.descriptor.artifactType !== query.artifactType) continue;
        referrers.push({ ...r, subject: level[i]!.digest, depth });
        if (referrers.length > MAX_LISTED)
          throw new InvalidContentError(`${source.description} lists more than ${MAX_LISTED} referrers`);
        if (!seen.has(r.descriptor.digest)) {
          seen.add(r.descriptor.digest);
          next.push(r.descriptor);
        }
      }
    });
    level = next;
  }
  return { subject, referrers: depthFirst(subject.digest, referrers) };
}

/** Each referrer followed by its own referrers, as a tree reads from the top. */
function depthFirst(root: string, listed: readonly ListedReferrer[]): ListedReferrer[] {
  const bySubject = new Map<string, ListedReferrer[]>();
  for (const r of listed) bySubject.set(r.subject, [...(bySubject.get(r.subject) ?? []), r]);
  const out: ListedReferrer[] = [];
  const visit = (subject: string, depth: number): void => {
    for (const r of bySubject.get(subject) ?? []) {
      if (r.depth !== depth) continue;
      out.push(r);
      visit(r.descriptor.digest, depth + 1);
    }
  };
  visit(root, 1);
  return out;
}

/** The referrers of the image at `location` (a registry or an OCI layout or tarball). */
export async function listImageReferrers(
  location: Location,
  client: (registry: string) => RegistryClient,
  query: ReferrerQuery,
): Promise<ReferrerListing> {
  const source = await openSource(location, client);
  try {
    return await listReferrerTree(source, query);
  } finally {
    await source.close();
  }
}
