/** What `sync` prints for each image of the mirror (see index.ts). */
import type { SyncRecord } from '../../copy/sync/run.js';
import { errorMessage } from '../format-error.js';
import { f, t } from '../shape.js';
import { failedJson, type TransferJson, transferJson, transferShape } from './transfer.js';

const {
  source,
  destination,
  existing: _existing,
  outcome: _outcome,
  error: _error,
  ...moved
} = transferShape.fields;

export const syncShape = t.object({
  entry: f(t.number, 'the entry of the sync file this image comes from (its position in `sync:`, from 0)'),
  source: source!,
  destination: destination!,
  outcome: f(
    t.string,
    "`copied`; `in-step` (the destination tag already named what a copy would give it: nothing was sent); `filtered` (left out by the entry's tag rules: see `reason`); `would-copy` (`--dry-run`: behind, nothing written); `failed` (see `error`; a repository or catalog that could not be listed is one such record, without a tag)",
  ),
  // Overridden in place (the keys keep their position): when each is set, for sync's outcomes.
  ...moved,
  digest: f(
    t.nullable(t.string),
    'what the destination tag names after the run (copied, in step); null otherwise',
  ),
  sourceDigest: f(
    t.nullable(t.string),
    'the digest the source tag named when checked (copied, in step, would copy); it differs from `digest` only when the copy changed something (`changes`, or `platforms` in the file); null when filtered or failed',
  ),
  reason: f(t.nullable(t.string), 'which tag rule left a `filtered` image out; null otherwise'),
  error: f(t.nullable(t.string), 'why a failed image failed (the one-line message); null otherwise'),
});

export type SyncJson = Omit<TransferJson, 'existing' | 'outcome'> & {
  entry: number;
  outcome: SyncRecord['outcome'];
  reason: string | null;
};

/** The record of one image, keys in the shape's order. */
export function syncJson(record: SyncRecord): SyncJson {
  const { item } = record;
  let json: TransferJson;
  let reason: string | null = null;
  let error: string | null = null;
  switch (record.outcome) {
    case 'copied':
    case 'in-step':
      json = transferJson(item.source, item.destination, record.summary);
      break;
    case 'failed':
      error = errorMessage(record.error);
      json = failedJson(item.source, item.destination, error);
      break;
    case 'filtered':
      reason = record.reason;
      json = failedJson(item.source, item.destination, '');
      break;
    case 'would-copy':
      json = { ...failedJson(item.source, item.destination, ''), sourceDigest: record.sourceDigest ?? null };
      break;
  }
  const { source, destination, existing: _e, outcome: _o, error: _r, ...rest } = json;
  return { entry: item.entry.index, source, destination, outcome: record.outcome, ...rest, reason, error };
}
