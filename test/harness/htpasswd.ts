// htpasswd files for the registry's htpasswd auth, made with apache2-utils' `htpasswd -Bbn`
// (bcrypt; distribution 2.8 accepts only bcrypt entries).
import { writeFile } from 'node:fs/promises';
import { runCommand } from './proc.js';
import type { HarnessUser } from './users.js';

/** One `user:$2y$...` line. */
export async function htpasswdLine(username: string, password: string): Promise<string> {
  const { stdout } = await runCommand('htpasswd', ['-Bbn', username, password]);
  return stdout.toString('utf8').trim();
}

/**
 * Writes `file` with one bcrypt entry per user. The file is always written, even with no users:
 * given a missing file the registry would create one with an invented user.
 */
export async function writeHtpasswd(file: string, users: readonly HarnessUser[]): Promise<void> {
  const lines = await Promise.all(users.map((u) => htpasswdLine(u.username, u.password)));
  await writeFile(file, lines.map((l) => `${l}\n`).join(''), { mode: 0o600 });
}
