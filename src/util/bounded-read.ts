/** Reading a small body whole, with a ceiling, so a hostile server cannot fill memory. */
import { InvalidContentError } from '../errors.js';

/**
 * Every chunk of `body`, concatenated; past `limit` bytes the body is destroyed and an
 * InvalidContentError says "`what` is over the `limit`-byte limit".
 */
export async function readBounded(
  body: AsyncIterable<Uint8Array> & { destroy(): void },
  limit: number,
  what: string,
): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of body) {
    total += chunk.length;
    if (total > limit) {
      body.destroy();
      throw new InvalidContentError(`${what} is over the ${limit}-byte limit`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}
