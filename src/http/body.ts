/** Reading small bodies (manifests, configs, tag and catalog pages) whole and bounded. */
import { FerryError, InvalidContentError } from '../errors.js';
import { readBounded } from '../util/bounded-read.js';
import { transportError } from './errors.js';
import { type HttpResponse, header } from './types.js';

/**
 * Reads a whole (small) body, refusing more than `limit` bytes so a hostile server cannot fill
 * memory. `what` names the body in the error. A connection lost mid-body becomes a (transient)
 * NetworkError, like one lost before the headers.
 */
export async function readBody(res: HttpResponse, limit: number, what: string): Promise<Buffer> {
  const declared = Number(header(res.headers, 'content-length'));
  if (declared > limit) {
    res.body.destroy();
    throw new InvalidContentError(`${what} is ${declared} bytes, over the ${limit}-byte limit`);
  }
  try {
    return await readBounded(res.body, limit, what);
  } catch (err) {
    throw err instanceof FerryError ? err : transportError(err, res.url);
  }
}
