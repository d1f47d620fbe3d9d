// Registry bearer tokens: RS256 JWTs the way distribution 2.8 verifies them. The header `kid`
// is the libtrust key ID of the signing public key; the registry looks it up among the keys of
// its auth.token.rootcertbundle. mintToken() also makes deliberately bad tokens (expired, wrong
// audience, untrusted key) for client tests.
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  type KeyObject,
  randomBytes,
  sign,
} from 'node:crypto';

export interface AccessEntry {
  type: string;
  name: string;
  actions: string[];
}

export interface TokenClaims {
  iss: string;
  sub: string;
  aud: string;
  exp: number;
  nbf: number;
  iat: number;
  jti: string;
  access: AccessEntry[];
}

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

function base32NoPad(bytes: Uint8Array): string {
  let out = '';
  let bits = 0;
  let value = 0;
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += BASE32[(value << (5 - bits)) & 31];
  return out;
}

/**
 * libtrust key ID: SHA-256 of the DER SubjectPublicKeyInfo, first 30 bytes, base32 without
 * padding (48 chars), 12 groups of 4 joined by ':'. Accepts a private or public key (or PEM).
 */
export function libtrustKeyId(key: KeyObject | string): string {
  const publicKey = createPublicKey(key);
  const der = publicKey.export({ type: 'spki', format: 'der' });
  const encoded = base32NoPad(createHash('sha256').update(der).digest().subarray(0, 30));
  return encoded.match(/.{4}/g)!.join(':');
}

const b64url = (data: string | Buffer): string => Buffer.from(data).toString('base64url');

/** Signs `claims` as an RS256 JWT with header `{typ, alg, kid}` (+ any `extraHeader` fields). */
export function signJwt(
  claims: Record<string, unknown>,
  privateKey: KeyObject | string,
  extraHeader: Record<string, unknown> = {},
): string {
  const key = typeof privateKey === 'string' ? createPrivateKey(privateKey) : privateKey;
  const header = { typ: 'JWT', alg: 'RS256', kid: libtrustKeyId(key), ...extraHeader };
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
  const signature = sign('sha256', Buffer.from(input), key);
  return `${input}.${b64url(signature)}`;
}

/** Decodes (does not verify) a JWT. */
export function decodeJwt(token: string): { header: Record<string, unknown>; claims: TokenClaims } {
  const [header, claims] = token.split('.');
  if (header === undefined || claims === undefined) throw new Error('not a JWT');
  return {
    header: JSON.parse(Buffer.from(header, 'base64url').toString('utf8')) as Record<string, unknown>,
    claims: JSON.parse(Buffer.from(claims, 'base64url').toString('utf8')) as TokenClaims,
  };
}

export interface MintOptions {
  privateKey: KeyObject | string;
  issuer: string;
  /** The registry's auth.token.service. */
  audience: string;
  subject?: string;
  access?: AccessEntry[];
  /** Lifetime in seconds from now (negative = already expired). Default 300. */
  expiresIn?: number;
  /** Seconds relative to now for `nbf`. Default -10. */
  notBefore?: number;
  /** Unix seconds used as "now". Default: the clock. */
  now?: number;
}

/** A registry token with the given claims. Note the registry allows 60 s of clock leeway on exp/nbf. */
export function mintToken(options: MintOptions): string {
  const now = options.now ?? Math.floor(Date.now() / 1000);
  const claims: TokenClaims = {
    iss: options.issuer,
    sub: options.subject ?? '',
    aud: options.audience,
    exp: now + (options.expiresIn ?? 300),
    nbf: now + (options.notBefore ?? -10),
    iat: now,
    jti: randomBytes(16).toString('hex'),
    access: options.access ?? [],
  };
  return signJwt({ ...claims }, options.privateKey);
}
