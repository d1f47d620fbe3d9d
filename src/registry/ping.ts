/**
 * What the answer to `GET /v2/` says about the server: a registry (answering 200, or 401 with a
 * challenge), or something else at that address (a web server, a token server, a proxy's error
 * page). The distinction is a promise to scripts: `exists` exits 1 ("absent") only when a
 * registry said the manifest is not there, so a 404 from a server that is not a registry must
 * never read as "not found".
 *
 * The API version check (distribution docs/spec/api.md "API Version Check"): a registry answers
 * 200 when no auth is needed and 401 with WWW-Authenticate otherwise, and Distribution, Docker
 * Hub, GHCR, ECR, GAR, Harbor, Quay and zot all send `Docker-Distribution-API-Version:
 * registry/2.0`. The OCI spec does not require that header, so its absence alone is not taken as
 * proof: a 200 is refused only when it is plainly a web page (text/html without the header).
 */
import { AuthError, TlsError } from '../errors.js';
import { RegistryError, registryErrorFrom } from '../http/errors.js';
import { type HttpRequest, type HttpResponse, header } from '../http/types.js';

export const API_VERSION_HEADER = 'docker-distribution-api-version';

/** 'challenge': 401, the auth scheme is in WWW-Authenticate; 'open': 200, no auth needed. */
export type PingVerdict = 'open' | 'challenge';

function contentType(res: HttpResponse): string {
  return (header(res.headers, 'content-type') ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

/** "HTTP 404, text/html, no Docker-Distribution-API-Version header": what the server showed. */
function described(res: HttpResponse): string {
  const type = contentType(res);
  const version = header(res.headers, API_VERSION_HEADER);
  return [
    `HTTP ${res.status}`,
    ...(type ? [type] : []),
    version ? `Docker-Distribution-API-Version: ${version}` : 'no Docker-Distribution-API-Version header',
  ].join(', ');
}

/**
 * Reads a ping answer. Returns the verdict for a registry (the body is left to the caller);
 * throws, having read the body, for anything else: exit 7 for a server that is not a registry
 * or a registry failing (5xx), exit 3 for a 403.
 */
export async function pingVerdict(
  registry: string,
  req: HttpRequest,
  res: HttpResponse,
): Promise<PingVerdict> {
  if (res.status === 401) return 'challenge';
  const hasVersion = header(res.headers, API_VERSION_HEADER) !== undefined;
  if (res.status >= 200 && res.status < 300 && (hasVersion || contentType(res) !== 'text/html'))
    return 'open';
  const what = `${registry} (GET /v2/)`;
  if (res.status === 403) {
    const cause = await registryErrorFrom(req, res, what);
    throw new AuthError(`${registry} refused access to its API root (GET /v2/ answered HTTP 403)`, {
      hint: hasVersion
        ? undefined
        : 'a proxy or firewall in the way? a registry answers /v2/ with 200 or 401',
      cause,
    });
  }
  if (res.status >= 500 || res.status === 429) {
    // A registry (or the proxy in front of it) that failed, after the retries: not "not a registry".
    throw await registryErrorFrom(req, res, what);
  }
  const shown = described(res);
  const answer = await registryErrorFrom(req, res, what);
  // Go's TLS servers (Distribution among them) answer a plain-HTTP request with this 400.
  if (res.status === 400 && /HTTP request to an HTTPS server/i.test(answer.diagnostics[0]?.message ?? '')) {
    throw new TlsError(`${registry} speaks HTTPS, not plain HTTP`, {
      hint: `drop --plain-http ${registry}, or plain-http: true from the settings file`,
      cause: answer,
    });
  }
  throw new RegistryError(
    'E_REGISTRY',
    `${registry} is not a registry: GET /v2/ answered ${shown}`,
    { status: res.status, method: req.method, url: req.url, diagnostics: [] },
    { hint: 'check the host and port; a registry answers GET /v2/ with 200 or 401', cause: answer },
  );
}
