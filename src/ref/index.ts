/**
 * Image references: parse once at the edge, pass `Reference` values everywhere below.
 *
 * Grammar (distribution/reference): `[host[:port]/]path[:tag][@digest]`.
 * - path: lowercase components `[a-z0-9]+` joined by '.', '_', '__' or a run of '-', separated by '/'.
 * - host: DNS-style labels joined by '.', or a bracketed IPv6 address (`[::1]`), then an optional
 *   `:port` (1-65535). No scheme: `https://ghcr.io/x` is refused with the bare form suggested.
 * - tag: up to 128 of `[A-Za-z0-9_.-]`, not starting with '.' or '-'.
 * - digest: `sha256:` + 64 or `sha512:` + 128 lowercase hex. Other algorithms that the grammar allows
 *   (`blake3:…`) are refused as unsupported, because ferry verifies every byte it moves and could not.
 * - The repository path is at most 255 characters, counted after normalization (`library/` included)
 *   and without the registry host, as distribution/reference has done since v0.6.0.
 *
 * Defaulting (normalize.go), so that `alpine` means `docker.io/library/alpine:latest`:
 * - The first path element is a registry host only if it contains '.' or ':', or is `localhost`
 *   (`example.com/a`, `reg:5000/a`, `localhost/a`, `[::1]:5000/a`). Otherwise the whole name is a
 *   Docker Hub repository: `bitnami/redis` is `docker.io/bitnami/redis`.
 * - A one-element Docker Hub name gets `library/`: `alpine` and `docker.io/alpine` are
 *   `docker.io/library/alpine`. Nested names do not: `library/a/b` stays as written.
 * - `index.docker.io` and `registry-1.docker.io` are spellings of `docker.io`; the registry is kept as
 *   `docker.io` (also the name for --plain-http lists and output), lower-cased like every host.
 *   `registryEndpoint()` gives the host to connect to (`registry-1.docker.io`), and
 *   `dockerConfigKey()` the credentials key (`https://index.docker.io/v1/`).
 * - The tag defaults to `latest` only when neither tag nor digest is given. `name:tag@digest` keeps
 *   both; the digest is what gets fetched, the tag is informational.
 *
 * Refusals that differ from, or sharpen, upstream:
 * - A bare 64-hex string is an image ID, not a name (as upstream).
 * - `localhost` or `[v6]` alone (with or without a port) is a host with the repository missing;
 *   upstream would read `localhost:5000` as Docker Hub's `library/localhost`, tag `5000`.
 * - Upstream treats an upper-case first element (`Foo/bar`) as a host. Lower-cased, as ferry keeps
 *   hosts, it would print as `foo/bar` and re-parse as Docker Hub, so unless it has a '.' or ':'
 *   it is refused with "must be lowercase: did you mean 'foo/bar'?". Upper case in the path is refused
 *   the same way.
 * - `parseRepository` (for `ls`) refuses a tag or digest; `parseRegistryHost` (for `catalog`) refuses a
 *   path, accepts and drops `https://` and one trailing '/', and refuses `http://` (pointing at
 *   --plain-http instead of silently switching to HTTPS).
 *
 * Scheme (scheme.ts): HTTPS unless the registry is listed in --plain-http (HTTP only). Loopback
 * registries (localhost, *.localhost, 127/8, ::1) try HTTPS and may fall back to HTTP when the server
 * answers in plain HTTP. --insecure skips TLS verification for the listed registries only. A list
 * entry without a port matches that host on every port.
 *
 * All failures are RefError (code E_REF, exit 2), one line naming the input and the problem.
 */
export {
  DEFAULT_TAG,
  DOCKER_HUB,
  DOCKER_HUB_CONFIG_KEY,
  DOCKER_HUB_ENDPOINT,
  DOCKER_HUB_HOSTS,
  dockerConfigKey,
  familiarName,
  formatReference,
  formatRepository,
  isDockerHub,
  normalizeRegistry,
  type Reference,
  registryEndpoint,
  splitHostPort,
} from './normalize.js';
export {
  MAX_NAME_LENGTH,
  MAX_TAG_LENGTH,
  namesTagOrDigest,
  parseImageReference,
  parseReference,
  parseRegistryHost,
  parseRepository,
  parseTag,
  tagRegExp,
} from './parse.js';
export {
  isInsecure,
  isLoopbackHost,
  registryListed,
  type Scheme,
  type SchemeOptions,
  schemesToTry,
} from './scheme.js';
