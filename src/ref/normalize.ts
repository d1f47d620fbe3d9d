/**
 * Docker Hub naming rules and the canonical/familiar string forms of a reference. Pure string work,
 * no I/O. The grammar itself lives in parse.ts; this file holds what "docker.io" means.
 */

/** What a parsed image reference holds. `registry` is normalized (see normalizeRegistry). */
export interface Reference {
  registry: string;
  repository: string;
  tag?: string;
  digest?: string;
}

// Docker Hub, said once. Every name it goes by (ref/ folds them into DOCKER_HUB), the host that
// serves its API, and its key in docker's config.json (auth/ looks credentials up under it).
/** The name users and config files use for Docker Hub. */
export const DOCKER_HUB = 'docker.io';
/** The host that actually serves Docker Hub's /v2/ API (docker.io itself only redirects to a web page). */
export const DOCKER_HUB_ENDPOINT = 'registry-1.docker.io';
/**
 * Key of Docker Hub credentials in ~/.docker/config.json (auths, credHelpers), and what a helper is
 * asked for: the v1 index URL, kept by docker/cli for compatibility (`registry.IndexServer`; ggcr
 * `authn.DefaultAuthKey`).
 */
export const DOCKER_HUB_CONFIG_KEY = 'https://index.docker.io/v1/';
/**
 * Every host name Docker Hub goes by, DOCKER_HUB first: index.docker.io is the legacy "Docker
 * Index" name and registry-1.docker.io the API host. Other tools write any of them as a config key.
 */
export const DOCKER_HUB_HOSTS: readonly string[] = [DOCKER_HUB, 'index.docker.io', DOCKER_HUB_ENDPOINT];
/** Official images live under this namespace: `alpine` is `docker.io/library/alpine`. */
export const OFFICIAL_NAMESPACE = 'library/';
export const DEFAULT_TAG = 'latest';

/**
 * Lower-cases a host[:port] and folds Docker Hub's other names into `docker.io`, so credentials,
 * --plain-http lists and output all use one name. Does not validate.
 */
export function normalizeRegistry(registry: string): string {
  const lower = registry.toLowerCase();
  return DOCKER_HUB_HOSTS.includes(lower) ? DOCKER_HUB : lower;
}

/** Whether `registry` (any case) is one of Docker Hub's host names, or its config.json key. */
export function isDockerHub(registry: string): boolean {
  const lower = registry.toLowerCase();
  return lower === DOCKER_HUB_CONFIG_KEY || DOCKER_HUB_HOSTS.includes(lower);
}

/** The host[:port] to open connections to: Docker Hub's API host for docker.io, anything else as given. */
export function registryEndpoint(registry: string): string {
  return isDockerHub(registry) ? DOCKER_HUB_ENDPOINT : registry;
}

/** The key under which ~/.docker/config.json (auths, credHelpers) stores this registry's credentials. */
export function dockerConfigKey(registry: string): string {
  return isDockerHub(registry) ? DOCKER_HUB_CONFIG_KEY : registry;
}

/**
 * Splits host[:port]; an IPv6 host keeps its brackets (`[::1]:5000` → `[::1]`, `5000`).
 * Input is assumed to follow the domain grammar already.
 */
export function splitHostPort(registry: string): { host: string; port?: string } {
  const close = registry.lastIndexOf(']');
  const colon = registry.lastIndexOf(':');
  if (colon <= close) return { host: registry };
  return { host: registry.slice(0, colon), port: registry.slice(colon + 1) };
}

/** `registry/repository`, the name without tag or digest: `docker.io/library/alpine`. */
export function formatRepository(ref: Pick<Reference, 'registry' | 'repository'>): string {
  return `${ref.registry}/${ref.repository}`;
}

function withIdentifiers(name: string, ref: Reference): string {
  let out = name;
  if (ref.tag !== undefined) out += `:${ref.tag}`;
  if (ref.digest !== undefined) out += `@${ref.digest}`;
  return out;
}

/** The canonical full string: `docker.io/library/alpine:latest`, `h:5000/a/b@sha256:…`, `h/a:t@sha256:…`. */
export function formatReference(ref: Reference): string {
  return withIdentifiers(formatRepository(ref), ref);
}

/**
 * The short form docker prints (its FamiliarString): Docker Hub loses `docker.io/`, and official images
 * lose `library/` when nothing nested follows (`library/foo/bar` keeps it, or it would read as user `foo`).
 * Unlike docker, `docker.io/` stays when the first element would then read as a host (`docker.io/a.b/c`),
 * and `library/` when the short name would read as a host or an image ID (`library/localhost`), so
 * parsing the result always gives back the same Reference.
 */
export function familiarName(ref: Reference): string {
  let name = formatRepository(ref);
  if (isDockerHub(ref.registry)) {
    const rest = ref.repository.startsWith(OFFICIAL_NAMESPACE)
      ? ref.repository.slice(OFFICIAL_NAMESPACE.length)
      : undefined;
    if (rest !== undefined && !rest.includes('/') && !readsAsOther(rest, ref)) name = rest;
    else if (!looksLikeHost(ref.repository)) name = ref.repository;
  }
  return withIdentifiers(name, ref);
}

/**
 * Whether an official image's short name, written alone, would parse as something else, so `library/`
 * must stay: parse.ts reads `localhost` as a host with the repository missing, and 64 hex characters
 * with no tag or digest after them as an image ID.
 */
function readsAsOther(rest: string, ref: Reference): boolean {
  if (rest === 'localhost') return true;
  return ref.tag === undefined && ref.digest === undefined && /^[a-f0-9]{64}$/.test(rest);
}

/**
 * normalize.go's rule for the first element of a name that has a '/': it is a registry host if it has a
 * '.' or ':' or is `localhost`, or has upper case (path elements cannot); otherwise it is a Docker Hub path.
 */
export function readsAsHost(element: string): boolean {
  return (
    element.includes('.') ||
    element.includes(':') ||
    element === 'localhost' ||
    element !== element.toLowerCase()
  );
}

function looksLikeHost(path: string): boolean {
  const slash = path.indexOf('/');
  return slash >= 0 && readsAsHost(path.slice(0, slash));
}
