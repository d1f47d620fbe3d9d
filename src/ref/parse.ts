/**
 * The distribution reference grammar (distribution/reference regexp.go, normalize.go) as anchored,
 * linear-time regular expressions, and the parsers built on them.
 *
 * The parser splits the input at '@' and at the last ':' after the last '/' first, then checks each
 * piece against its own anchored pattern. That gives one precise message per failure, and no pattern
 * is ever run on more than one piece. Every pattern has exactly one way to match a given string
 * (separators are non-empty and not in the alphabet of the parts they join), so V8's backtracking
 * engine stays linear; a separator that may be empty, as in `[-]*`, is what makes other parsers
 * exponential on 'aaaa…!' (shared/design/node.md §3.6).
 */
import { RefError } from '../errors.js';
import {
  DEFAULT_TAG,
  DOCKER_HUB,
  normalizeRegistry,
  OFFICIAL_NAMESPACE,
  type Reference,
  readsAsHost,
} from './normalize.js';

const alphanumeric = '[a-z0-9]+';
// One '.', one or two '_', or any run of '-' (dashes repeat so hostnames can be path components).
const separator = '(?:[._]|__|[-]+)';
const pathComponent = `${alphanumeric}(?:${separator}${alphanumeric})*`;
const remoteName = `${pathComponent}(?:/${pathComponent})*`;
const domainNameComponent = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const domainName = `${domainNameComponent}(?:\\.${domainNameComponent})*`;
// Bracketed IPv6 only: no zone identifiers (%eth0) and no dotted IPv4-mapped forms.
const ipv6Address = '\\[(?:[a-fA-F0-9:]+)\\]';
const domainAndPort = `(?:${domainName}|${ipv6Address})(?::[0-9]+)?`;
const tag = '[\\w][\\w.-]{0,127}';
const digest = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}';

const anchored = (pattern: string): RegExp => new RegExp(`^${pattern}$`);
export const pathComponentRegExp = anchored(pathComponent);
export const remoteNameRegExp = anchored(remoteName);
export const domainRegExp = anchored(domainAndPort);
export const tagRegExp = anchored(tag);
export const digestRegExp = anchored(digest);
/** The whole grammar in one pattern (regexp.go's ReferenceRegexp), for tools and tests; parse* split instead. */
export const referenceRegExp = anchored(
  `((?:${domainAndPort}/)?${remoteName})(?::(${tag}))?(?:@(${digest}))?`,
);

/**
 * Limit on the repository path, the registry host not counted: distribution/reference v0.6.0's
 * RepositoryNameTotalLengthMax, which replaced NameTotalLengthMax (that one counted `host/` too,
 * so the same image was valid under one host name and not under a longer one). The path is
 * counted as normalised: Docker Hub's `library/` counts, as upstream parses `docker.io/library/x`.
 */
export const MAX_NAME_LENGTH = 255;
export const MAX_TAG_LENGTH = 128;
/** Digest algorithms ferry can verify, with the length of their lowercase hex encoding (OCI image-spec). */
const knownDigests: Readonly<Record<string, number>> = { sha256: 64, sha512: 128 };

type Kind = 'reference' | 'repository' | 'registry host';
const schemePrefix = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\//;

/**
 * The input with the password of a `user:password@host/…` prefix masked, so no message repeats
 * it (a reference pasted from a URL with credentials in it; the password may hold '/' or '@').
 * The credentials end at the last '@' that does not start a digest (`name:tag@sha256:…` is not a
 * password). Plain string scanning: no pattern to backtrack.
 */
function masked(input: string): string {
  const scheme = schemePrefix.exec(input)?.[0] ?? '';
  const rest = input.slice(scheme.length);
  const colon = rest.indexOf(':');
  const slash = rest.indexOf('/');
  if (colon < 0 || (slash >= 0 && slash < colon)) return input;
  const startsDigest = (i: number): boolean =>
    rest.startsWith('sha256:', i + 1) || rest.startsWith('sha512:', i + 1);
  let at = rest.lastIndexOf('@');
  if (at > colon && startsDigest(at)) at = rest.lastIndexOf('@', at - 1);
  if (at <= colon) return input;
  return `${scheme}${rest.slice(0, colon)}:***${rest.slice(at)}`;
}

/**
 * Quotes user input for a one-line message: a password in it masked, control characters escaped,
 * very long input shortened.
 */
function quote(raw: string): string {
  const input = masked(raw);
  const plain = !/[\s'\\]/.test(input);
  const shown = input.length > 120 ? `${input.slice(0, 80)}…` : input;
  const quoted = plain ? `'${shown}'` : JSON.stringify(shown);
  return shown === input ? quoted : `${quoted} (${input.length} characters)`;
}

function fail(kind: Kind, input: string, problem: string, hint?: string): RefError {
  return new RefError(`invalid ${kind} ${quote(input)}: ${problem}`, { hint });
}

/** Problems that make the whole string unusable, whatever kind of name it is. */
function checkText(kind: Kind, input: string): void {
  if (input === '') throw fail(kind, input, 'it is empty');
  if (/\s/.test(input)) throw fail(kind, input, 'it contains whitespace');
  if (masked(input) !== input) {
    throw fail(
      kind,
      input,
      `a ${kind} carries no credentials`,
      'log in with ferry login HOST, or pass -u USER --password-stdin',
    );
  }
  const scheme = schemePrefix.exec(input);
  if (scheme && kind !== 'registry host') {
    const bare = input.slice(scheme[0].length);
    const hint =
      scheme[1]?.toLowerCase() === 'http'
        ? `for a plain-HTTP registry, use --plain-http ${bare.split('/')[0]}`
        : undefined;
    throw fail(kind, input, `a ${kind} has no '${scheme[0]}' prefix: did you mean ${quote(bare)}?`, hint);
  }
}

/** Checks host[:port] and returns it normalized (lower case, Docker Hub aliases folded). */
function checkHost(kind: Kind, input: string, host: string): string {
  if (!domainRegExp.test(host)) {
    if (/^[0-9a-fA-F]*:[0-9a-fA-F]*:[0-9a-fA-F:]*$/.test(host)) {
      throw fail(kind, input, `IPv6 address ${quote(host)} must be in brackets, e.g. '[::1]:5000'`);
    }
    throw fail(
      kind,
      input,
      `${quote(host)} is not a valid registry host (letters, digits, '-' and '.', or a bracketed IPv6 address, then an optional ':port')`,
    );
  }
  const port = /:([0-9]+)$/.exec(host)?.[1];
  if (port !== undefined && (Number(port) < 1 || Number(port) > 65535)) {
    throw fail(kind, input, `port ${port} is out of range (1-65535)`);
  }
  return normalizeRegistry(host);
}

interface Name {
  registry: string;
  repository: string;
}

/**
 * Parses `[host[:port]/]path`. `rebuild` turns a corrected path back into the user's whole input, so
 * the upper-case message can suggest something that parses.
 */
function parseName(kind: Kind, input: string, name: string, rebuild: (path: string) => string): Name {
  if (name === '') throw fail(kind, input, `the ${kind === 'reference' ? 'image ' : ''}name is missing`);
  const slash = name.indexOf('/');
  const first = slash < 0 ? name : name.slice(0, slash);
  let registry = DOCKER_HUB;
  let typedPrefix = '';
  let path = name;
  if (slash >= 0 && readsAsHost(first)) {
    registry = checkHost(kind, input, first);
    if (!readsAsHost(registry)) {
      // Only upper case made it a host; lower-cased it would read as a Docker Hub namespace.
      throw fail(
        kind,
        input,
        `repository name must be lowercase: did you mean ${quote(rebuild(name.toLowerCase()))}? ` +
          `('${first}' is not a registry host: a host has a '.', a ':port' or is 'localhost')`,
      );
    }
    typedPrefix = `${first}/`;
    path = name.slice(slash + 1);
    if (path === '') throw hostWithoutRepository(kind, input, first);
  }
  checkPath(kind, input, path, (fixed) => rebuild(typedPrefix + fixed));
  const repository = registry === DOCKER_HUB && !path.includes('/') ? OFFICIAL_NAMESPACE + path : path;
  if (repository.length > MAX_NAME_LENGTH) {
    throw fail(
      kind,
      input,
      `the repository path is ${repository.length} characters, the limit is ${MAX_NAME_LENGTH} (the registry host not counted)`,
    );
  }
  return { registry, repository };
}

function hostWithoutRepository(kind: Kind, input: string, host: string): RefError {
  return fail(
    kind,
    input,
    `${quote(host)} is a registry host, the repository is missing (e.g. '${host}/name')`,
    kind === 'registry host' ? undefined : `to list the repositories of a registry: ferry catalog ${host}`,
  );
}

function checkPath(kind: Kind, input: string, path: string, rebuild: (path: string) => string): void {
  if (remoteNameRegExp.test(path)) return;
  if (path.toLowerCase() !== path) {
    const suggestion = rebuild(path.toLowerCase());
    let valid = true;
    try {
      parseReference(suggestion);
    } catch {
      valid = false;
    }
    throw fail(
      kind,
      input,
      valid
        ? `repository name must be lowercase: did you mean ${quote(suggestion)}?`
        : 'repository name must be lowercase',
    );
  }
  for (const component of path.split('/')) {
    if (component === '') {
      const where = path.startsWith('/') ? 'a leading' : path.endsWith('/') ? 'a trailing' : 'a double';
      throw fail(kind, input, `the repository path has ${where} '/'`);
    }
    if (!pathComponentRegExp.test(component)) {
      throw fail(
        kind,
        input,
        `path component ${quote(component)} is invalid (lowercase letters and digits, joined by '.', '_', '__' or dashes)`,
      );
    }
  }
}

/** A bare tag (`1.0`, `latest`), as a `--tag` flag takes it; RefError when it is not one. */
export function parseTag(value: string): string {
  checkTag(value, value);
  return value;
}

function checkTag(input: string, value: string): void {
  if (value === '') throw fail('reference', input, "the tag after ':' is missing");
  if (value.length > MAX_TAG_LENGTH) {
    throw fail('reference', input, `tag is ${value.length} characters, the limit is ${MAX_TAG_LENGTH}`);
  }
  if (!tagRegExp.test(value)) {
    throw fail(
      'reference',
      input,
      `tag ${quote(value)} is invalid (letters, digits, '_', '.' and '-', not starting with '.' or '-')`,
    );
  }
}

/**
 * Checks `algorithm:hex`. sha256 and sha512 need exactly their length of lowercase hex (image-spec);
 * any other algorithm the grammar allows is refused as unsupported, since ferry could not verify it.
 */
function checkDigest(input: string, value: string): void {
  const kind = 'reference';
  if (value === '') throw fail(kind, input, "the digest after '@' is missing");
  const colon = value.indexOf(':');
  const algorithm = colon < 0 ? value : value.slice(0, colon);
  const hex = colon < 0 ? '' : value.slice(colon + 1);
  const length = knownDigests[algorithm];
  if (length !== undefined) {
    if (/^[a-f0-9]+$/.test(hex) && hex.length === length) return;
    const problem = /^[a-fA-F0-9]+$/.test(hex) && hex.length === length ? ', in lowercase' : '';
    throw fail(kind, input, `digest must be ${algorithm}: followed by ${length} hex characters${problem}`);
  }
  if (digestRegExp.test(value)) {
    throw fail(kind, input, `digest algorithm '${algorithm}' is not supported (only sha256 and sha512)`);
  }
  throw fail(
    kind,
    input,
    `digest ${quote(value)} is invalid (expected sha256: followed by 64 hex characters)`,
  );
}

interface Pieces {
  name: string;
  tag?: string;
  digest?: string;
}

/** Splits `name[:tag][@digest]`: the tag separator is the last ':' after the last '/'. */
function split(input: string): Pieces {
  const at = input.indexOf('@');
  const rest = at < 0 ? input : input.slice(0, at);
  const colon = rest.lastIndexOf(':');
  const pieces: Pieces = { name: colon > rest.lastIndexOf('/') ? rest.slice(0, colon) : rest };
  if (colon > rest.lastIndexOf('/')) pieces.tag = rest.slice(colon + 1);
  if (at >= 0) pieces.digest = input.slice(at + 1);
  return pieces;
}

/**
 * The host, when the input is `localhost[:port]` or a bracketed IPv6 host and nothing else. Upstream
 * would read `localhost:5000` as Docker Hub's `library/localhost`, tag `5000`: never what was meant.
 */
function bareHost(p: Pieces): string | undefined {
  if (p.name.includes('/')) return undefined;
  const whole = p.tag === undefined ? p.name : `${p.name}:${p.tag}`;
  if (/^\[[0-9a-fA-F:]*\](?::[0-9]+)?$/.test(whole)) return whole;
  if (/^\[[0-9a-fA-F:]*\]$/.test(p.name)) return p.name;
  if (p.name.toLowerCase() !== 'localhost') return undefined;
  return p.tag !== undefined && /^[0-9]+$/.test(p.tag) ? `${p.name}:${p.tag}` : p.name;
}

function join(p: Pieces): string {
  return p.name + (p.tag === undefined ? '' : `:${p.tag}`) + (p.digest === undefined ? '' : `@${p.digest}`);
}

/**
 * Parses an image reference `[host[:port]/]path[:tag][@digest]` into normalized form. The tag defaults
 * to 'latest' only when neither a tag nor a digest is given. Throws RefError.
 */
export function parseReference(input: string): Reference {
  checkText('reference', input);
  if (/^[a-f0-9]{64}$/.test(input)) {
    throw fail(
      'reference',
      input,
      'a 64-character hex string is an image ID, not a name (use NAME@sha256:<hex> to address content by digest)',
    );
  }
  const pieces = split(input);
  const host = bareHost(pieces);
  if (host !== undefined) throw hostWithoutRepository('reference', input, host);
  const { registry, repository } = parseName('reference', input, pieces.name, (name) =>
    join({ ...pieces, name }),
  );
  if (pieces.tag !== undefined) checkTag(input, pieces.tag);
  if (pieces.digest !== undefined) checkDigest(input, pieces.digest);
  const ref: Reference = { registry, repository };
  if (pieces.tag !== undefined) ref.tag = pieces.tag;
  else if (pieces.digest === undefined) ref.tag = DEFAULT_TAG;
  if (pieces.digest !== undefined) ref.digest = pieces.digest;
  return ref;
}

/**
 * An IMAGE argument: a reference, or one written `docker://REF`, skopeo's transport syntax, which
 * ferry itself prints in transfer summaries (docs/locations.md); anything else is parseReference's.
 */
export function parseImageReference(input: string): Reference {
  return parseReference(input.startsWith('docker://') ? input.slice('docker://'.length) : input);
}

/**
 * Whether an image reference names its tag or digest itself, rather than getting `latest` by
 * default: a destructive command (`delete`) wants it said.
 */
export function namesTagOrDigest(input: string): boolean {
  const pieces = split(input.startsWith('docker://') ? input.slice('docker://'.length) : input);
  return pieces.tag !== undefined || pieces.digest !== undefined;
}

/** Parses a repository name (`[host[:port]/]path`, as `ls` takes): a tag or digest is an error. */
export function parseRepository(input: string): Reference {
  checkText('repository', input);
  if (/^[a-f0-9]{64}$/.test(input)) {
    throw fail('repository', input, 'a 64-character hex string is an image ID, not a repository name');
  }
  const pieces = split(input);
  const host = bareHost(pieces);
  if (host !== undefined) throw hostWithoutRepository('repository', input, host);
  const name = parseName('repository', input, pieces.name, (n) => join({ ...pieces, name: n }));
  if (pieces.digest !== undefined) {
    throw fail('repository', input, `a repository name takes no digest (drop '@${pieces.digest}')`);
  }
  if (pieces.tag !== undefined) {
    // `ls registry.example.com:5000` reads as Docker Hub's library/registry.example.com, tag 5000.
    const hostLike = !pieces.name.includes('/') && pieces.name.includes('.') && /^[0-9]+$/.test(pieces.tag);
    const host = `${pieces.name}:${pieces.tag}`;
    throw fail(
      'repository',
      input,
      `a repository name takes no tag (drop ':${pieces.tag}')`,
      hostLike
        ? `if ${host} is a registry host, list its repositories with: ferry catalog ${host}`
        : undefined,
    );
  }
  return name;
}

/**
 * Parses a registry host for `catalog`: `host[:port]`, `[v6]:port`, or `docker.io`. An `https://`
 * prefix and one trailing '/' are accepted and dropped (that is how URLs get pasted); `http://` is
 * refused, because dropping it would silently switch to HTTPS: --plain-http says that instead.
 */
export function parseRegistryHost(input: string): string {
  const kind = 'registry host';
  checkText(kind, input);
  const scheme = schemePrefix.exec(input);
  let host = scheme ? input.slice(scheme[0].length) : input;
  if (host.endsWith('/')) host = host.slice(0, -1);
  if (scheme) {
    const name = scheme[1]?.toLowerCase();
    if (name === 'http') {
      throw fail(
        kind,
        input,
        "drop the 'http://' prefix",
        `for a plain-HTTP registry, use --plain-http ${host}`,
      );
    }
    if (name !== 'https') throw fail(kind, input, `a registry host has no '${scheme[0]}' prefix`);
  }
  if (host === '') throw fail(kind, input, 'the host is missing');
  if (host.includes('/')) {
    throw fail(
      kind,
      input,
      'a registry host has no path',
      `to list the tags of a repository: ferry ls ${host}`,
    );
  }
  return checkHost(kind, input, host);
}
