/** What `digest`, `manifest`, `exists`, `delete`, `config` and `ratelimit` print (see index.ts). */
import type { RateLimit } from '../../registry/ratelimit.js';
import { f, t } from '../shape.js';
import { mediaTypeField, referenceField } from './fields.js';

// ---- digest -----------------------------------------------------------------------------------

export const digestShape = t.object({
  reference: referenceField,
  digest: f(t.string, 'the digest of the image (with `--platform`, of the manifest for that platform)'),
  platform: f(t.nullable(t.string), 'the platform asked for with `--platform`; null without it'),
});
export interface DigestJson {
  reference: string;
  digest: string;
  platform: string | null;
}
export const digestJson = (reference: string, digest: string, platform?: string): DigestJson => ({
  reference,
  digest,
  platform: platform ?? null,
});

// ---- manifest ---------------------------------------------------------------------------------

export const manifestShape = t.object({
  reference: referenceField,
  digest: f(
    t.string,
    'the sha256 of the manifest bytes (with `--platform`, of the manifest for that platform)',
  ),
  mediaType: mediaTypeField,
  size: f(t.number, 'the length of the manifest in bytes'),
  platform: f(
    t.nullable(t.string),
    "with `--platform`: the platform as the index entry or the single image's config states it; null without",
  ),
  manifest: f(
    t.any,
    'the manifest itself, parsed: `{{json .Manifest.layers}}`, `{{.Manifest.config.digest}}`',
  ),
});
export interface ManifestJson {
  reference: string;
  digest: string;
  mediaType: string;
  size: number;
  platform: string | null;
  manifest: unknown;
}
export const manifestJson = (
  reference: string,
  fetched: { digest: string; mediaType: string; bytes: Uint8Array },
  platform?: string,
): ManifestJson => ({
  reference,
  digest: fetched.digest,
  mediaType: fetched.mediaType,
  size: fetched.bytes.length,
  platform: platform ?? null,
  manifest: JSON.parse(Buffer.from(fetched.bytes).toString('utf8')) as unknown,
});

// ---- exists -----------------------------------------------------------------------------------

export const existsShape = t.object({
  reference: referenceField,
  exists: f(t.boolean, 'whether the registry has it (the exit code says the same: 0 or 1)'),
  digest: f(t.nullable(t.string), 'its digest, when it exists and the registry sent one; else null'),
});
export interface ExistsJson {
  reference: string;
  exists: boolean;
  digest: string | null;
}
export const existsJson = (reference: string, exists: boolean, digest?: string): ExistsJson => ({
  reference,
  exists,
  digest: digest ?? null,
});

// ---- delete -----------------------------------------------------------------------------------

export const deleteShape = t.object({
  reference: referenceField,
  kind: f(
    t.string,
    '`tag`: the tag alone was removed, the image stays; `manifest`: the image, by digest, with every tag on it',
  ),
  digest: f(t.string, 'the manifest the tag pointed at, or the digest deleted'),
  dryRun: f(t.boolean, 'true with `--dry-run`: nothing was deleted'),
  namedBy: f(
    t.list(t.string),
    'by digest: the tags of indexes in the repository that list the manifest (deleted only with `--force`); empty otherwise',
  ),
});
export interface DeleteJson {
  reference: string;
  kind: 'tag' | 'manifest';
  digest: string;
  dryRun: boolean;
  namedBy: string[];
}
export const deleteJson = (
  reference: string,
  plan: { kind: 'tag' | 'digest'; digest: string; namedBy: readonly string[] },
  dryRun: boolean,
): DeleteJson => ({
  reference,
  kind: plan.kind === 'tag' ? 'tag' : 'manifest',
  digest: plan.digest,
  dryRun,
  namedBy: [...plan.namedBy],
});

// ---- tag --------------------------------------------------------------------------------------

export const tagShape = t.object({
  reference: f(t.string, 'the new tag, in full: `registry.example.com/app:stable`'),
  source: f(t.string, 'the image that was tagged, as given: `registry.example.com/app:1.2.3`'),
  digest: f(t.string, 'the digest both now name'),
  mediaType: mediaTypeField,
});
export interface TagJson {
  reference: string;
  source: string;
  digest: string;
  mediaType: string;
}
export const tagJson = (
  reference: string,
  source: string,
  result: { digest: string; mediaType: string },
): TagJson => ({ reference, source, digest: result.digest, mediaType: result.mediaType });

// ---- blob put, manifest put ---------------------------------------------------------------------

export const blobPutShape = t.object({
  repository: f(t.string, 'the repository the blob is in, with its registry'),
  digest: f(t.string, 'the digest of the blob: `sha256:…`'),
  size: f(t.number, 'its length in bytes'),
  existing: f(t.boolean, 'true when the registry had the blob already: nothing was sent'),
});
export interface BlobPutJson {
  repository: string;
  digest: string;
  size: number;
  existing: boolean;
}
export const blobPutJson = (
  repository: string,
  put: { digest: string; size: number; existing: boolean },
): BlobPutJson => ({ repository, digest: put.digest, size: put.size, existing: put.existing });

export const manifestPutShape = t.object({
  reference: referenceField,
  digest: f(t.string, 'the sha256 of the bytes put (the registry filed them under it)'),
  mediaType: f(t.string, 'the Content-Type they were put with'),
  size: f(t.number, 'their length in bytes'),
});
export interface ManifestPutJson {
  reference: string;
  digest: string;
  mediaType: string;
  size: number;
}
export const manifestPutJson = (
  reference: string,
  put: { digest: string; mediaType: string; size: number },
): ManifestPutJson => ({ reference, digest: put.digest, mediaType: put.mediaType, size: put.size });

// ---- config, ratelimit (commands of their own files; their shapes live here with the rest) ---

export const configShape = t.object({
  reference: referenceField,
  digest: f(t.string, 'the digest of the config blob (the image ID)'),
  size: f(t.number, 'the length of the config in bytes'),
  platform: f(
    t.nullable(t.string),
    "the image's platform when one was asked for (`--platform`) or picked out of an index (the host's); else null",
  ),
  config: f(t.any, 'the config itself, parsed: `{{.Config.architecture}}`, `{{json .Config.config.Env}}`'),
});
export interface ConfigJson {
  reference: string;
  digest: string;
  size: number;
  platform: string | null;
  config: unknown;
}
export const configJson = (
  reference: string,
  fetched: { digest: string; bytes: Uint8Array },
  platform?: string,
): ConfigJson => ({
  reference,
  digest: fetched.digest,
  size: fetched.bytes.length,
  platform: platform ?? null,
  config: JSON.parse(Buffer.from(fetched.bytes).toString('utf8')) as unknown,
});

const count = (doc: string) => f(t.nullable(t.number), doc);
export const ratelimitShape = t.object({
  limit: count('pulls allowed per window; null when the registry states none'),
  remaining: count('pulls left in the current window; null when the registry states none'),
  windowSeconds: count('the length of the window in seconds; null when not stated'),
  resetSeconds: count('seconds until the window resets; null when not stated'),
  source: f(
    t.nullable(t.string),
    'what the limit is counted by (Docker Hub: an IP address or a user id); null when not stated',
  ),
});
export type RateLimitJson = RateLimit;
export const ratelimitJson = (r: RateLimit): RateLimitJson => ({
  limit: r.limit,
  remaining: r.remaining,
  windowSeconds: r.windowSeconds,
  resetSeconds: r.resetSeconds,
  source: r.source,
});
