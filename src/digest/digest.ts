/**
 * Content digests, "algorithm:encoded" (opencontainers/image-spec descriptor.md#digests).
 * ferry verifies sha256 and sha512, the two registered algorithms; anything else is refused
 * rather than trusted unverified.
 */
import { createHash } from 'node:crypto';
import { InvalidContentError } from '../errors.js';

export type Algorithm = 'sha256' | 'sha512';

const ENCODED_LENGTH: Record<Algorithm, number> = { sha256: 64, sha512: 128 };

export function isDigest(value: string): boolean {
  const colon = value.indexOf(':');
  const alg = value.slice(0, colon);
  if (alg !== 'sha256' && alg !== 'sha512') return false;
  const hex = value.slice(colon + 1);
  return hex.length === ENCODED_LENGTH[alg] && /^[0-9a-f]+$/.test(hex);
}

/** Validates a digest string from the network or a file and returns its algorithm. */
export function parseDigest(value: string, where = 'digest'): { algorithm: Algorithm; encoded: string } {
  if (!isDigest(value)) {
    throw new InvalidContentError(
      `invalid ${where} '${value.slice(0, 80)}': expected sha256:<64 hex> or sha512:<128 hex>`,
    );
  }
  const [algorithm, encoded] = value.split(':') as [Algorithm, string];
  return { algorithm, encoded };
}

export function digestOf(bytes: Uint8Array, algorithm: Algorithm = 'sha256'): string {
  return `${algorithm}:${createHash(algorithm).update(bytes).digest('hex')}`;
}
