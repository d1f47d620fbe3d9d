// What the sync tests share: sync files written to a folder, and the --json records read back.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FerryResult } from './run-ferry.js';

/** One record of `ferry sync --json`, as docs/output.md gives it (written out, not imported). */
export interface SyncRecordJson {
  entry: number;
  source: string;
  destination: string;
  outcome: string;
  digest: string | null;
  sourceDigest: string | null;
  reason: string | null;
  error: string | null;
  manifests: number;
}

let written = 0;

/** Writes `text` as a new sync file in `dir` and returns its path. */
export async function writeSyncFile(dir: string, text: string): Promise<string> {
  const file = join(dir, `sync-${++written}.yaml`);
  await writeFile(file, text);
  return file;
}

/** The records of `ferry sync --json`. */
export const syncRecords = (r: FerryResult): SyncRecordJson[] => JSON.parse(r.stdout) as SyncRecordJson[];
