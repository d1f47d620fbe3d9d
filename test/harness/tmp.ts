// Temp directories for the harness: made under $FERRY_TEST_TMPDIR (or the OS temp dir) and removed
// when their owner cleans up, or at the latest when the test process exits.
import { mkdtempSync, rmSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const live = new Set<string>();
let hooked = false;

function hookExit(): void {
  if (hooked) return;
  hooked = true;
  process.on('exit', () => {
    for (const dir of live) rmSync(dir, { recursive: true, force: true });
    live.clear();
  });
}

/** The root under which harness temp dirs are made. */
export function tempRoot(): string {
  return process.env['FERRY_TEST_TMPDIR'] || tmpdir();
}

/** Makes a fresh directory `<root>/ferry-<prefix>-XXXXXX`, removed at process exit unless removed earlier. */
export async function makeTempDir(prefix: string): Promise<string> {
  hookExit();
  const root = tempRoot();
  await mkdir(root, { recursive: true });
  const dir = mkdtempSync(join(root, `ferry-${prefix}-`));
  live.add(dir);
  return dir;
}

/** Removes a directory made by makeTempDir (or any directory) now. */
export async function removeTempDir(dir: string): Promise<void> {
  live.delete(dir);
  await rm(dir, { recursive: true, force: true });
}
