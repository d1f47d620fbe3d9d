/**
 * `--shard I/N`: N machines each mirror a disjoint part of a sync file, and together all of it.
 * A source repository belongs to shard `hash(name) mod N`, where the hash is the first six bytes of
 * the SHA-256 of `registry/repository`: the same on every machine, run and Node version, and
 * independent of the order of the file or of the catalog. Shards are numbered from 0, so a
 * Kubernetes Indexed Job's JOB_COMPLETION_INDEX or a 0-based matrix value is the shard as it is.
 */
import { createHash } from 'node:crypto';
import { UsageError } from '../../errors.js';

export interface Shard {
  index: number;
  count: number;
}

/** At most this many shards: more machines than this would each hold next to nothing. */
export const MAX_SHARDS = 10_000;

export function parseShard(text: string): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  const index = Number(m?.[1]);
  const count = Number(m?.[2]);
  if (!m || count < 1 || count > MAX_SHARDS || index >= count) {
    throw new UsageError(
      `--shard must be I/N with N from 1 to ${MAX_SHARDS} and I from 0 to N-1 (shards count from 0), not '${text}'`,
      { hint: 'in a Kubernetes Indexed Job: --shard "$JOB_COMPLETION_INDEX/N"' },
    );
  }
  return { index, count };
}

/** The shard (0 … count-1) a source repository `registry/repository` belongs to. */
export function shardOf(name: string, count: number): number {
  const hash = createHash('sha256').update(name).digest();
  return hash.readUIntBE(0, 6) % count;
}

export const inShard = (name: string, shard: Shard | undefined): boolean =>
  shard === undefined || shardOf(name, shard.count) === shard.index;
