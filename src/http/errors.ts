/**
 * Turns what went wrong on the wire into typed errors: a registry's error answer into a
 * RegistryError carrying the distribution `errors[]` diagnostics, and a socket or TLS failure
 * into a NetworkError or TlsError with a hint.
 *
 * Registries answer in three shapes and all must parse (shared/lab/LAB.md §6.7): the JSON
 * envelope `{"errors":[{code,message,detail}]}`, plain text (Distribution's router says
 * "404 page not found" for an invalid name), and nothing at all (every HEAD).
 */
import { type ErrorCode, FerryError, type FerryErrorOptions, NetworkError, TlsError } from '../errors.js';
import { redactText, redactUrl } from './redact.js';
import type { TlsSettings } from './transport-options.js';
import { type HttpRequest, type HttpResponse, header } from './types.js';

export interface Diagnostic {
  code: string;
  message: string;
  detail?: unknown;
}

export class RegistryError extends FerryError {
  readonly status: number;
  readonly method: string;
  readonly url: string;
  readonly diagnostics: readonly Diagnostic[];
  /** For 401/403: no credentials were sent, they were rejected, or they do not grant enough access. */
  authProblem?: 'anonymous' | 'rejected' | 'denied';
  /** How many times the request was sent (more than 1 when the transport already retried it). */
  readonly attempts: number;
  /** The answer's Retry-After, in milliseconds, when it had one. */
  readonly retryAfterMs: number | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    init: {
      status: number;
      method: string;
      url: URL;
      diagnostics: Diagnostic[];
      attempts?: number | undefined;
      retryAfterMs?: number | undefined;
    },
    options?: FerryErrorOptions,
  ) {
    super(code, message, options);
    this.status = init.status;
    this.method = init.method;
    this.url = redactUrl(init.url);
    this.diagnostics = init.diagnostics;
    this.attempts = init.attempts ?? 1;
    this.retryAfterMs = init.retryAfterMs;
  }

  hasCode(code: string): boolean {
    return this.diagnostics.some((d) => d.code === code);
  }
}

/** A TLS handshake that got a plain-HTTP answer: the registry does not speak HTTPS on that port. */
export class PlainHttpServerError extends TlsError {}

const ERROR_BODY_LIMIT = 64 * 1024;

export function parseDiagnostics(text: string): Diagnostic[] {
  try {
    const parsed: unknown = JSON.parse(text);
    const errors = (parsed as { errors?: unknown })?.errors;
    if (Array.isArray(errors)) {
      return errors
        .filter((e): e is Record<string, unknown> => typeof e === 'object' && e !== null)
        .map((e) => ({
          code: String(e['code'] ?? 'UNKNOWN'),
          message: String(e['message'] ?? ''),
          detail: e['detail'],
        }));
    }
  } catch {
    // Not JSON: fall through to plain text.
  }
  const line = text.trim().split('\n')[0]?.slice(0, 200) ?? '';
  return line ? [{ code: 'UNKNOWN', message: line }] : [];
}

function statusCode(status: number): ErrorCode {
  if (status === 401 || status === 403) return 'E_AUTH';
  if (status === 404) return 'E_NOT_FOUND';
  if (status === 405) return 'E_UNSUPPORTED';
  return 'E_REGISTRY';
}

/**
 * Reads (a bounded amount of) an error answer and builds the RegistryError for it. `what` names
 * the thing asked for, so the message reads "manifest h/r:t: not found" and not "404".
 */
export async function registryErrorFrom(
  req: HttpRequest,
  res: HttpResponse,
  what: string,
  options?: FerryErrorOptions,
): Promise<RegistryError> {
  let text = '';
  if (req.method !== 'HEAD') {
    const chunks: Buffer[] = [];
    let total = 0;
    for await (const chunk of res.body as AsyncIterable<Buffer>) {
      if (total < ERROR_BODY_LIMIT) chunks.push(chunk);
      total += chunk.length;
    }
    text = Buffer.concat(chunks).toString('utf8').slice(0, ERROR_BODY_LIMIT);
  } else {
    await res.body.dump();
  }
  const diagnostics = parseDiagnostics(text);
  const first = diagnostics[0];
  const reason = first ? describe(first) : `HTTP ${res.status}`;
  const attempts = res.attempts ?? 1;
  const tries = attempts > 1 ? ` (gave up after ${attempts} attempts)` : '';
  const message = `${what}: ${redactText(reason)}${first ? ` (HTTP ${res.status})` : ''}${tries}`;
  const retryAfter = header(res.headers, 'retry-after');
  return new RegistryError(
    statusCode(res.status),
    message,
    {
      status: res.status,
      method: req.method,
      url: req.url,
      diagnostics,
      attempts,
      retryAfterMs: retryAfter === undefined ? undefined : retryAfterMs(retryAfter),
    },
    options,
  );
}

/** Retry-After as delta-seconds or an HTTP-date (RFC 9110 §10.2.3), in milliseconds from now. */
export function retryAfterMs(value: string, now: number = Date.now()): number | undefined {
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  // HTTP-dates name the weekday and month; Date.parse alone would read "-5" as a year.
  if (!/^[A-Za-z]{3}/.test(text)) return undefined;
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

function describe(d: Diagnostic): string {
  const message = d.message || d.code.toLowerCase().replaceAll('_', ' ');
  return d.code === 'UNKNOWN' ? message : `${message} [${d.code}]`;
}

const TLS_CODES = /^(CERT_|UNABLE_TO_|SELF_SIGNED|DEPTH_ZERO|ERR_TLS_|ERR_SSL_|HOSTNAME_MISMATCH)/;

/**
 * A TLS alert the server sent about the client's certificate (RFC 8446 §6.2: bad_certificate 42,
 * unsupported/revoked/expired/unknown 43–46, unknown_ca 48, access_denied 49,
 * certificate_required 116). Node (the client) raises ERR_SSL_…_ALERT_… only for alerts it
 * received: its own complaints about the server's certificate have other codes.
 */
const CLIENT_CERT_ALERT =
  /^ERR_SSL_(SSLV3|TLSV1|TLSV13)_ALERT_(BAD_CERTIFICATE|UNSUPPORTED_CERTIFICATE|CERTIFICATE_REVOKED|CERTIFICATE_EXPIRED|CERTIFICATE_UNKNOWN|UNKNOWN_CA|ACCESS_DENIED|CERTIFICATE_REQUIRED)$/;

export function isTlsAlert(err: unknown): boolean {
  return /^ERR_SSL_.*_ALERT_/.test(String((err as { code?: unknown } | undefined)?.code ?? ''));
}

/** "bad certificate" from OpenSSL's "...:sslv3 alert bad certificate:...". */
function alertText(message: string): string {
  return /alert ([a-z ]+?)(?::|$)/i.exec(message)?.[1] ?? message;
}

export interface TransportErrorContext {
  /** The proxy the request may have gone through, so a dead proxy is not blamed on the registry. */
  proxy?: URL | undefined;
  /** The TLS settings used, to tell "no client certificate" from "certificate refused". */
  tls?: TlsSettings | undefined;
}

/** Whether a socket error is about `where` (Node sets address and port on connect errors). */
function isAt(err: Error, where: URL): boolean {
  const { address, port } = err as { address?: unknown; port?: unknown };
  const wantedPort = where.port === '' ? (where.protocol === 'https:' ? 443 : 80) : Number(where.port);
  return (
    port === wantedPort && (address === where.hostname || address === where.hostname.replace(/^\[|\]$/g, ''))
  );
}

/** Maps an undici/socket failure to a NetworkError or TlsError; leaves FerryErrors alone. */
export function transportError(err: unknown, url: URL, context: TransportErrorContext = {}): Error {
  const { proxy, tls } = context;
  if (err instanceof FerryError) return err;
  if (!(err instanceof Error)) return new NetworkError(`request to ${url.host} failed: ${String(err)}`);
  if (err.name === 'AbortError') return err;
  const code = String((err as { code?: unknown }).code ?? '');
  const host = url.host;
  const msg = err.message;
  if (
    code === 'ERR_SSL_WRONG_VERSION_NUMBER' ||
    /wrong version number|packet length too long|http request/i.test(msg)
  ) {
    return new PlainHttpServerError(`TLS handshake with ${host} failed: the server answered in plain HTTP`, {
      hint: `if the registry really serves plain HTTP, use --plain-http ${host}`,
      cause: err,
    });
  }
  if (CLIENT_CERT_ALERT.test(code)) {
    const said = alertText(msg);
    return tls?.client
      ? new TlsError(`${host} refused the TLS client certificate from ${tls.client.source} (${said})`, {
          hint: `is it the certificate ${host} expects, signed by a CA it trusts, and still valid?`,
          cause: err,
        })
      : new TlsError(`${host} asks for a TLS client certificate, and none is set for it (${said})`, {
          hint: `give it one: --cert-dir DIR holding client.cert and client.key, client-cert/client-key in the settings file, or certs.d/${host}/`,
          cause: err,
        });
  }
  if (TLS_CODES.test(code) || /certificate/i.test(msg)) {
    const unknownCa = /SELF_SIGNED|UNABLE_TO_GET_ISSUER|UNABLE_TO_VERIFY_LEAF/.test(code);
    return new TlsError(`TLS verification of ${host} failed: ${msg}`, {
      hint: unknownCa
        ? `pass the registry's CA with --ca-file FILE, or (unsafe) --insecure ${host}`
        : undefined,
      cause: err,
    });
  }
  switch (code) {
    case 'ECONNREFUSED':
      if (proxy && isAt(err, proxy)) {
        return new NetworkError(`cannot connect to the proxy ${proxy.host}: connection refused`, {
          hint: 'check HTTPS_PROXY / HTTP_PROXY, or list the registry in NO_PROXY',
          cause: err,
        });
      }
      return new NetworkError(`cannot connect to ${host}: connection refused`, {
        hint: 'is the registry running, and is the port right?',
        cause: err,
      });
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new NetworkError(`cannot resolve ${url.hostname}`, { cause: err });
    case 'UND_ERR_CONNECT_TIMEOUT':
      return new NetworkError(`connecting to ${host} timed out`, { cause: err, transient: true });
    case 'UND_ERR_HEADERS_TIMEOUT':
    case 'UND_ERR_BODY_TIMEOUT':
      return new NetworkError(`${host} stopped sending (no data within the idle timeout)`, {
        hint: 'a slow link? raise --idle-timeout',
        cause: err,
        transient: true,
      });
    case 'ECONNRESET':
    case 'UND_ERR_SOCKET':
    case 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH':
    case 'EPIPE':
      return new NetworkError(`connection to ${host} was reset`, { cause: err, transient: true });
    default:
      return new NetworkError(`request to ${host} failed: ${redactText(msg)}`, { cause: err });
  }
}
