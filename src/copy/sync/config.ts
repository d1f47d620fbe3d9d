/**
 * The sync file: YAML in regsync's vocabulary (issue 11), read and checked whole before any
 * request, so a mistake costs nothing and is one line naming the entry and the key:
 *
 *   defaults:
 *     platforms: [linux/amd64, linux/arm64]       # optional; default every platform, digest kept
 *     hosts:                                      # optional limits per registry, for the whole run
 *       docker.io: { concurrent: 3, reqPerSec: 10, quotaFloor: 20 }
 *   sync:
 *     - type: repository | registry | image
 *       source: …
 *       target: …
 *       tags: { allow: [...], deny: [...], semver: '…', latest: N }   # repository and registry
 *       platforms: [...]                          # optional, instead of the default
 *       referrers: true                           # optional (also in defaults): signatures, SBOMs
 *
 * `creds` (regsync's) is refused: ferry reads credentials where `docker login` puts them, as every
 * other command does, or from sync's --src-creds/--dest-creds for a side on one registry.
 */
import { readFile } from 'node:fs/promises';
import { type Document, LineCounter, parseDocument } from 'yaml';
import { FerryError, LocalError, UsageError } from '../../errors.js';
import type { HostLimits } from '../../http/host-gate.js';
import type { Platform } from '../../image/descriptor.js';
import { parsePlatform } from '../../image/platform.js';
import { parseReference, parseRegistryHost, parseRepository, type Reference } from '../../ref/index.js';
import { readsAsHost } from '../../ref/normalize.js';
import { isObject } from '../../util/is-object.js';
import { ALL_TAGS, parseRange, type TagRules } from './tags.js';

/** A registry and a path under it: a repository, or a prefix of repositories ('' for all). */
export interface RepositoryName {
  registry: string;
  repository: string;
}

interface EntryBase {
  /** The entry's position in `sync:` (from 0). */
  index: number;
  /** How messages name it: `sync[2] (quay.io/org/app)`. */
  name: string;
  tags: TagRules;
  /** The platforms to copy; undefined: every platform, the index kept as it is. */
  platforms: readonly Platform[] | undefined;
  /** The referrers (signatures, SBOMs) of each image go with it, as `copy -r` copies them. */
  referrers: boolean;
}

export type SyncEntry =
  | (EntryBase & { type: 'repository'; source: RepositoryName; target: RepositoryName })
  /** Every repository of the source registry under the source prefix (from the catalog). */
  | (EntryBase & { type: 'registry'; source: RepositoryName; target: RepositoryName })
  /** One tag or digest; the target has a tag, or the digest alone when the source names one. */
  | (EntryBase & { type: 'image'; source: Reference; target: Reference });

export interface SyncConfig {
  /** Limits by registry name (as ferry names it: 'docker.io', '127.0.0.1:5000'). */
  hosts: ReadonlyMap<string, HostLimits>;
  entries: readonly SyncEntry[];
}

type Path = readonly (string | number)[];

/** Reads FILE and checks it (parseSyncConfig); a file that cannot be read is a local error. */
export async function loadSyncConfig(file: string): Promise<SyncConfig> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new LocalError(
      `cannot read the sync file ${file}: ${code === 'ENOENT' ? 'no such file' : (code ?? String(err))}`,
    );
  }
  return parseSyncConfig(text, file);
}

/** Parses and checks the sync file's text; every mistake is a UsageError (exit 2) naming where. */
export function parseSyncConfig(text: string, file: string): SyncConfig {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const syntax = doc.errors[0];
  if (syntax) {
    const { line } = lines.linePos(syntax.pos[0]);
    const message = syntax.message.split('\n')[0] ?? syntax.message;
    throw new UsageError(`${file} line ${line}: not valid YAML: ${message}`);
  }
  return new ConfigReader(file, doc, lines).read(doc.toJS({ maxAliasCount: 1000 }));
}

const TOP_KEYS = ['version', 'defaults', 'sync'];
const DEFAULT_KEYS = ['platforms', 'hosts', 'referrers'];
const ENTRY_KEYS = ['type', 'source', 'target', 'tags', 'platforms', 'referrers'];
const TAG_KEYS = ['allow', 'deny', 'semver', 'latest'];
const HOST_KEYS = ['concurrent', 'reqPerSec', 'quotaFloor'];
const TYPES = ['repository', 'registry', 'image'] as const;

class ConfigReader {
  constructor(
    private readonly file: string,
    private readonly doc: Document,
    private readonly lines: LineCounter,
  ) {}

  /** `FILE line N: sync[2] (quay.io/org/app): tags.allow[0]: message` */
  private fail(path: Path, message: string, hint?: string): never {
    const node = this.nodeAt(path);
    const where = node === undefined ? '' : ` line ${this.lines.linePos(node).line}`;
    let key = formatPath(path);
    if (path[0] === 'sync' && typeof path[1] === 'number') {
      const source = this.doc.getIn(['sync', path[1], 'source']);
      const entry = `sync[${path[1]}]${typeof source === 'string' ? ` (${source})` : ''}`;
      const rest = formatPath(path.slice(2));
      key = rest === '' ? entry : `${entry}: ${rest}`;
    }
    throw new UsageError(`${this.file}${where}: ${key === '' ? '' : `${key}: `}${message}`, { hint });
  }

  /** Where a key's value starts, or its nearest enclosing node's when the key is missing. */
  private nodeAt(path: Path): number | undefined {
    for (let n = path.length; n > 0; n--) {
      const node = this.doc.getIn(path.slice(0, n), true) as { range?: [number, number, number] } | undefined;
      if (node?.range) return node.range[0];
    }
    return this.doc.contents?.range?.[0];
  }

  read(root: unknown): SyncConfig {
    if (root === null || root === undefined)
      throw new UsageError(`${this.file}: the file is empty: it needs a sync: list`);
    const top = this.object(root, [], TOP_KEYS, {
      creds:
        'ferry reads credentials where docker login puts them (ferry login, DOCKER_CONFIG, credential helpers), or from --src-creds/--dest-creds',
    });
    if (top['version'] !== undefined && top['version'] !== 1)
      this.fail(['version'], `only version 1 is known, not ${JSON.stringify(top['version'])}`);
    const defaults =
      top['defaults'] === undefined ? {} : this.object(top['defaults'], ['defaults'], DEFAULT_KEYS);
    const referrers = this.referrers(defaults, ['defaults']) ?? false;
    const platforms = this.platforms(defaults['platforms'], ['defaults', 'platforms']);
    const hosts = this.hosts(defaults['hosts']);
    const list = top['sync'];
    if (list === undefined) this.fail([], 'a sync: list of what to mirror is missing');
    if (!Array.isArray(list) || list.length === 0)
      this.fail(['sync'], 'must be a list of entries (type, source, target)');
    const entries = list.map((item, i) => this.entry(item, i, { platforms, referrers }));
    return { hosts, entries };
  }

  private object(
    value: unknown,
    path: Path,
    keys: readonly string[],
    refused: Record<string, string> = {},
  ): Record<string, unknown> {
    if (!isObject(value) || Array.isArray(value)) this.fail(path, `must be a mapping of ${keys.join(', ')}`);
    for (const key of Object.keys(value)) {
      const why = refused[key];
      if (why !== undefined) this.fail([...path, key], `not supported: ${why}`);
      if (!keys.includes(key)) this.fail([...path, key], `unknown key (known here: ${keys.join(', ')})`);
    }
    return value;
  }

  /** `referrers: true|false`; undefined when not given, so an entry can fall back on the defaults. */
  private referrers(object: Record<string, unknown>, path: Path): boolean | undefined {
    const value = object['referrers'];
    if (value === undefined || typeof value === 'boolean') return value;
    this.fail([...path, 'referrers'], 'must be true or false');
  }

  private platforms(value: unknown, path: Path): Platform[] | undefined {
    if (value === undefined) return undefined;
    const list = typeof value === 'string' ? [value] : value;
    if (!Array.isArray(list) || list.length === 0)
      this.fail(path, 'must be a list of platforms, e.g. [linux/amd64, linux/arm64]');
    return list.map((text, i) => {
      if (typeof text !== 'string') this.fail([...path, i], 'must be a platform such as linux/amd64');
      return this.wrap([...path, i], () => parsePlatform(text));
    });
  }

  private hosts(value: unknown): Map<string, HostLimits> {
    const hosts = new Map<string, HostLimits>();
    if (value === undefined) return hosts;
    const path = ['defaults', 'hosts'];
    if (!isObject(value) || Array.isArray(value))
      this.fail(path, 'must map registry hosts to limits, e.g. docker.io: { concurrent: 3 }');
    for (const [host, limits] of Object.entries(value)) {
      const at = [...path, host];
      const registry = this.wrap(at, () => parseRegistryHost(host));
      const given = this.object(limits, at, HOST_KEYS);
      const number = (key: string, min: number, whole: boolean): number | undefined => {
        const n = given[key];
        if (n === undefined) return undefined;
        if (typeof n !== 'number' || !Number.isFinite(n) || n < min || (whole && !Number.isInteger(n)))
          this.fail(
            [...at, key],
            `must be a ${whole ? 'whole ' : ''}number from ${min} up, not ${JSON.stringify(n)}`,
          );
        return n;
      };
      hosts.set(registry, {
        concurrent: number('concurrent', 1, true),
        requestsPerSecond: number('reqPerSec', Number.MIN_VALUE, false),
        quotaFloor: number('quotaFloor', 0, true),
      });
    }
    return hosts;
  }

  private entry(
    value: unknown,
    index: number,
    defaults: { platforms: Platform[] | undefined; referrers: boolean },
  ): SyncEntry {
    const path: Path = ['sync', index];
    const entry = this.object(value, path, ENTRY_KEYS);
    const referrers = this.referrers(entry, path) ?? defaults.referrers;
    const given = entry['type'];
    if (given === undefined) this.fail([...path, 'type'], `missing (one of ${TYPES.join(', ')})`);
    const type = TYPES.find((t) => t === given);
    if (type === undefined)
      this.fail([...path, 'type'], `must be one of ${TYPES.join(', ')}, not ${JSON.stringify(given)}`);
    const text = (key: 'source' | 'target'): string => {
      const v = entry[key];
      if (v === undefined) this.fail([...path, key], 'missing');
      if (typeof v !== 'string' || v.trim() === '')
        this.fail([...path, key], 'must be a name such as quay.io/org/app');
      return v.trim().replace(/^docker:\/\//, '');
    };
    const source = text('source');
    const target = text('target');
    const base = {
      index,
      name: `sync[${index}] (${source})`,
      tags: ALL_TAGS,
      platforms:
        entry['platforms'] === undefined
          ? defaults.platforms
          : this.platforms(entry['platforms'], [...path, 'platforms']),
      referrers,
    };
    if (type === 'image') {
      if (entry['tags'] !== undefined)
        this.fail(
          [...path, 'tags'],
          'only for type repository or registry: an image entry names one tag or digest',
        );
      const from = this.wrap([...path, 'source'], () => parseReference(source));
      return { ...base, type, source: from, target: this.imageTarget(target, from, [...path, 'target']) };
    }
    const tags = this.tags(entry['tags'], [...path, 'tags']);
    const name = type === 'registry' ? this.prefix.bind(this) : this.repository.bind(this);
    return {
      ...base,
      type,
      tags,
      source: name(source, [...path, 'source']),
      target: name(target, [...path, 'target']),
    };
  }

  private repository(text: string, path: Path): RepositoryName {
    const ref = this.wrap(path, () => parseRepository(text));
    return { registry: ref.registry, repository: ref.repository };
  }

  /** `host` or `host/prefix` for a type registry entry; the host must be written out. */
  private prefix(text: string, path: Path): RepositoryName {
    const slash = text.indexOf('/');
    const first = slash < 0 ? text : text.slice(0, slash);
    if (!readsAsHost(first)) this.fail(path, `must start with a registry host, e.g. ghcr.io/${text}`);
    if (slash < 0 || slash === text.length - 1)
      return { registry: this.wrap(path, () => parseRegistryHost(text)), repository: '' };
    return this.repository(text, path);
  }

  /** A tag of its own, or the repository alone: then the source's tag (or its digest, untagged). */
  private imageTarget(text: string, source: Reference, path: Path): Reference {
    let repository: Reference | undefined;
    try {
      repository = parseRepository(text);
    } catch {
      repository = undefined;
    }
    if (repository) {
      const { registry, repository: name } = repository;
      if (source.tag !== undefined) return { registry, repository: name, tag: source.tag };
      return {
        registry,
        repository: name,
        ...(source.digest === undefined ? {} : { digest: source.digest }),
      };
    }
    const ref = this.wrap(path, () => parseReference(text));
    if (ref.digest !== undefined)
      this.fail(
        path,
        "a target names a tag (or the repository alone), not a digest: the digest is the source's",
      );
    return ref;
  }

  private tags(value: unknown, path: Path): TagRules {
    if (value === undefined) return ALL_TAGS;
    const tags = this.object(value, path, TAG_KEYS);
    const patterns = (key: 'allow' | 'deny'): RegExp[] => {
      const v = tags[key];
      if (v === undefined) return [];
      const list = typeof v === 'string' ? [v] : v;
      if (!Array.isArray(list)) this.fail([...path, key], 'must be a list of regular expressions');
      return list.map((re, i) => {
        const at = typeof v === 'string' ? [...path, key] : [...path, key, i];
        if (typeof re !== 'string') this.fail(at, 'must be a regular expression in quotes');
        try {
          return new RegExp(re);
        } catch (err) {
          return this.fail(at, `'${re}' is not a valid regular expression (${(err as Error).message})`);
        }
      });
    };
    const rules: TagRules = { allow: patterns('allow'), deny: patterns('deny') };
    const semver = tags['semver'];
    if (semver !== undefined) {
      const range = typeof semver === 'string' ? parseRange(semver) : undefined;
      if (!range)
        this.fail([...path, 'semver'], `${JSON.stringify(semver)} is not a version range, e.g. '>=1.2.0 <3'`);
      rules.semver = { text: String(semver), range };
    }
    const latest = tags['latest'];
    if (latest !== undefined) {
      if (typeof latest !== 'number' || !Number.isInteger(latest) || latest < 1)
        this.fail([...path, 'latest'], `must be a whole number from 1 up, not ${JSON.stringify(latest)}`);
      rules.latest = latest;
    }
    return rules;
  }

  /** A parser's own error (a bad reference, platform or host), said at this key. */
  private wrap<T>(path: Path, parse: () => T): T {
    try {
      return parse();
    } catch (err) {
      if (err instanceof FerryError) this.fail(path, err.message, err.hint);
      throw err;
    }
  }
}

/** ['sync', 2, 'tags', 'allow', 0] → 'sync[2].tags.allow[0]'; a host key: 'defaults.hosts[docker.io]'. */
function formatPath(path: Path): string {
  return path
    .map((p, i) => (typeof p === 'number' || /[.:/]/.test(p) ? `[${p}]` : i === 0 ? p : `.${p}`))
    .join('');
}
