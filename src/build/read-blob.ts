/** A small blob (a config) read whole from a source, verified by the source's stream. */
import { InvalidContentError } from '../errors.js';
import type { Descriptor } from '../image/descriptor.js';
import type { ImageSource } from '../store/store.js';

/** Image configs are read whole; anything this large is no config (copy/image-copy.ts caps the same). */
export const MAX_CONFIG_BYTES = 16 * 1024 * 1024;

export async function readSmallBlob(
  source: ImageSource,
  descriptor: Descriptor,
  what: string,
  max = MAX_CONFIG_BYTES,
): Promise<Buffer> {
  if (descriptor.size > max)
    throw new InvalidContentError(
      `${what} is ${descriptor.size} bytes: more than the ${max} a config may be`,
    );
  const chunks: Buffer[] = [];
  for await (const chunk of await source.blob(descriptor)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
