/** Fails early, with the install command, when something the benchmark runs is missing. */
import { execFileSync } from 'node:child_process';
import { existsSync, statfsSync } from 'node:fs';

const INSTALL = 'apt-get install -y docker-registry skopeo curl time';

function onPath(cmd: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Throws a readable error naming every missing tool; returns warnings for optional ones. */
export function checkPrerequisites(needGiB: number): string[] {
  const missing: string[] = [];
  const registry = process.env['FERRY_REGISTRY_BIN'] || 'docker-registry';
  if (!onPath(registry)) missing.push(`${registry} (Debian package docker-registry)`);
  if (!onPath('skopeo')) missing.push('skopeo (Debian package skopeo)');
  if (!onPath('curl')) missing.push('curl (Debian package curl)');
  if (missing.length > 0) {
    throw new Error(`bench: missing ${missing.join(', ')}.\nInstall with: ${INSTALL}`);
  }
  // crane is not in Debian 12: scripts/install-peers.sh takes it (and oras) from Debian's sid.
  if (!onPath('crane'))
    throw new Error(
      'bench: missing crane (go-containerregistry).\nInstall with: sudo bash scripts/install-peers.sh',
    );
  if (!existsSync('/dev/shm'))
    throw new Error('bench: /dev/shm (tmpfs) is missing: registry storage goes there');
  const shm = statfsSync('/dev/shm');
  const freeGiB = (shm.bavail * shm.bsize) / 2 ** 30;
  if (freeGiB < needGiB) {
    throw new Error(
      `bench: /dev/shm has ${freeGiB.toFixed(1)} GiB free, this run needs about ${needGiB} GiB (leave out copy-4g with --only, or free tmpfs)`,
    );
  }
  const warnings: string[] = [];
  if (!existsSync('/usr/bin/time'))
    warnings.push(
      `bench: /usr/bin/time (GNU time) is missing: peak RSS falls back to sampling VmHWM, CPU seconds unknown (${INSTALL})`,
    );
  if (!existsSync('node_modules/tsx')) warnings.push('bench: node_modules looks incomplete; run npm install');
  return warnings;
}
