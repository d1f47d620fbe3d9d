/**
 * Scrubs secrets from anything ferry prints: header values, URLs, log lines, error messages.
 * Authorization and cookie headers are replaced whole; token-bearing query parameters and
 * JSON fields are masked; JWT- and base64-looking credentials after "Basic"/"Bearer" too.
 */

const SECRET_HEADERS = new Set([
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'x-registry-auth',
]);
const SECRET_PARAMS =
  /([?&](?:access_token|refresh_token|token|password|passwd|secret|signature|x-amz-signature|x-amz-credential|sig)=)[^&#\s]*/gi;
// A credential after the scheme (token68), but not a challenge's `realm="…"` parameter list.
const SECRET_SCHEMES = /\b(Basic|Bearer)\s+(?![A-Za-z][\w-]*=["\w])[A-Za-z0-9._~+/-]+=*/g;
const SECRET_JSON =
  /("(?:token|access_token|refresh_token|identitytoken|registrytoken|password|secret|auth)"\s*:\s*")[^"]*"/gi;
const JWT = /\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*/g;

export const REDACTED = '[redacted]';

export function redactHeaderValue(name: string, value: string): string {
  return SECRET_HEADERS.has(name.toLowerCase()) ? REDACTED : redactText(value);
}

export function redactUrl(url: URL | string): string {
  const u = new URL(String(url));
  const userinfo = u.username || u.password;
  u.username = '';
  u.password = '';
  const text = redactText(u.toString());
  return userinfo ? text.replace('://', `://${REDACTED}@`) : text;
}

export function redactText(text: string): string {
  return text
    .replace(SECRET_SCHEMES, `$1 ${REDACTED}`)
    .replace(SECRET_PARAMS, `$1${REDACTED}`)
    .replace(SECRET_JSON, `$1${REDACTED}"`)
    .replace(JWT, REDACTED);
}
