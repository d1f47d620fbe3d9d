/**
 * Edits of an image config (image-spec config.md; Docker's image JSON has the same fields) made by
 * `mutate` and `append`. The config is edited as a JSON document, so fields ferry does not know
 * stay as they were, in their order; only the fields asked for change, and the result is compact
 * JSON (its digest is new whenever a field changed).
 */
import { InvalidContentError, UsageError } from '../errors.js';
import type { Platform } from '../image/descriptor.js';
import { MediaType } from '../image/media-types.js';
import { isObject } from '../util/is-object.js';

export type ConfigDoc = Record<string, unknown>;

/** What `mutate` can change in a config. */
export interface ConfigChanges {
  labels?: Readonly<Record<string, string>> | undefined;
  env?: Readonly<Record<string, string>> | undefined;
  /** null clears it (an empty --entrypoint ''). */
  entrypoint?: readonly string[] | null | undefined;
  cmd?: readonly string[] | null | undefined;
  user?: string | undefined;
  workdir?: string | undefined;
  /** RFC 3339, from build-time.ts. */
  created?: string | undefined;
}

/** A layer `append` adds: its diff_id and what its history entry says. */
export interface AddedLayer {
  diffId: string;
  createdBy: string;
}

/** Config media types of runnable images; anything else is an artifact (a Helm chart, an SBOM). */
const IMAGE_CONFIG_TYPES = new Set<string>([MediaType.ociConfig, MediaType.dockerConfig]);

export function isImageConfigType(mediaType: string): boolean {
  return IMAGE_CONFIG_TYPES.has(mediaType);
}

export function parseConfig(bytes: Uint8Array, what: string): ConfigDoc {
  let doc: unknown;
  try {
    doc = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    throw new InvalidContentError(`${what} is not JSON`);
  }
  if (!isObject(doc)) throw new InvalidContentError(`${what} is not a JSON object`);
  return doc;
}

export function serializeConfig(doc: ConfigDoc): Buffer {
  return Buffer.from(JSON.stringify(doc));
}

/** The platform a config declares: os, architecture, variant, os.version and os.features. */
export function configPlatform(doc: ConfigDoc): Platform | undefined {
  const { os, architecture, variant } = doc;
  if (typeof os !== 'string' || typeof architecture !== 'string' || os === '' || architecture === '')
    return undefined;
  const platform: Platform = { architecture, os };
  if (typeof variant === 'string' && variant !== '') platform.variant = variant;
  const version = doc['os.version'];
  if (typeof version === 'string' && version !== '') platform['os.version'] = version;
  const features = doc['os.features'];
  if (Array.isArray(features) && features.length > 0 && features.every((f) => typeof f === 'string'))
    platform['os.features'] = features as string[];
  return platform;
}

/** The config of a `scratch` image for `platform`: no layers yet, no history. */
export function scratchConfig(platform: Platform): ConfigDoc {
  return {
    architecture: platform.architecture,
    os: platform.os,
    ...(platform.variant === undefined ? {} : { variant: platform.variant }),
    ...(platform['os.version'] === undefined ? {} : { 'os.version': platform['os.version'] }),
    config: {},
    rootfs: { type: 'layers', diff_ids: [] },
    history: [],
  };
}

/** The `config` object inside the config (the runtime settings), created when absent. */
function runtime(doc: ConfigDoc): Record<string, unknown> {
  const inner = doc['config'];
  if (isObject(inner)) return inner;
  const made: Record<string, unknown> = {};
  doc['config'] = made;
  return made;
}

/** Applies `changes` to `doc` in place. */
export function applyChanges(doc: ConfigDoc, changes: ConfigChanges): void {
  if (changes.created !== undefined) doc['created'] = changes.created;
  const hasRuntimeChange =
    changes.labels !== undefined ||
    changes.env !== undefined ||
    changes.entrypoint !== undefined ||
    changes.cmd !== undefined ||
    changes.user !== undefined ||
    changes.workdir !== undefined;
  if (!hasRuntimeChange) return;
  const config = runtime(doc);
  if (changes.labels !== undefined && Object.keys(changes.labels).length > 0) {
    const labels = isObject(config['Labels']) ? config['Labels'] : {};
    config['Labels'] = { ...labels, ...changes.labels };
  }
  if (changes.env !== undefined && Object.keys(changes.env).length > 0) {
    const env = Array.isArray(config['Env']) ? config['Env'].filter((e) => typeof e === 'string') : [];
    for (const [key, value] of Object.entries(changes.env)) {
      const entry = `${key}=${value}`;
      const at = env.findIndex((e) => e === key || e.startsWith(`${key}=`));
      if (at >= 0) env[at] = entry;
      else env.push(entry);
    }
    config['Env'] = env;
  }
  if (changes.entrypoint !== undefined) config['Entrypoint'] = changes.entrypoint;
  if (changes.cmd !== undefined) config['Cmd'] = changes.cmd;
  if (changes.user !== undefined) config['User'] = changes.user;
  if (changes.workdir !== undefined) config['WorkingDir'] = changes.workdir;
}

/**
 * Adds `layers` to `doc` in place: their diff_ids, and one history entry each (dated with the
 * config's `created`, which the caller has set to the build time if there is one). A config
 * without history but with layers keeps having none: entries for the new layers alone would be
 * matched to the wrong layers by tools that pair history with layers.
 */
export function appendLayers(doc: ConfigDoc, layers: readonly AddedLayer[], what: string): void {
  const rootfs = doc['rootfs'];
  if (!isObject(rootfs) || !Array.isArray(rootfs['diff_ids']))
    throw new InvalidContentError(`${what} has no rootfs.diff_ids: it is not an image config`);
  const diffIds = rootfs['diff_ids'] as unknown[];
  const history = doc['history'];
  const keepsHistory = Array.isArray(history) || diffIds.length === 0;
  rootfs['diff_ids'] = [...diffIds, ...layers.map((l) => l.diffId)];
  if (!keepsHistory) return;
  const created = typeof doc['created'] === 'string' ? { created: doc['created'] } : {};
  doc['history'] = [
    ...(Array.isArray(history) ? history : []),
    ...layers.map((l) => ({ ...created, created_by: l.createdBy })),
  ];
}

/** 'K=V' → ['K', 'V'] (V may be empty or hold '='); UsageError without '=' or without K. */
export function parseKeyValue(value: string, flag: string): [string, string] {
  const eq = value.indexOf('=');
  if (eq <= 0)
    throw new UsageError(`${flag} must be KEY=VALUE, not '${value}'`, {
      hint: eq === 0 ? 'the key is empty' : `e.g. ${flag} ${value || 'KEY'}=VALUE`,
    });
  return [value.slice(0, eq), value.slice(eq + 1)];
}

/**
 * --entrypoint / --cmd: a JSON array of strings (`'["/app","--port","80"]'`), or words split at
 * blanks (`/app --port 80`); '' clears the field.
 */
export function parseCommand(value: string, flag: string): string[] | null {
  const text = value.trim();
  if (text === '') return null;
  if (text.startsWith('[')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new UsageError(`${flag} starts with '[' but is not a JSON array: ${value}`);
    }
    if (!Array.isArray(parsed) || !parsed.every((p) => typeof p === 'string'))
      throw new UsageError(`${flag} must be a JSON array of strings, e.g. '["/app","--port","80"]'`);
    return parsed;
  }
  return text.split(/\s+/);
}
