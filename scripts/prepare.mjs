// npm's prepare step: builds dist/ when npm installs ferry from a clone or a git URL, and before
// npm pack. For a git URL npm installs the devDependencies (esbuild) first; for
// `npm install -g <folder>` it does not, so they are installed here when esbuild is missing.
import { execFileSync } from 'node:child_process';

try {
  await import('esbuild');
} catch {
  // Inside `npm install -g`, npm's environment says global: this install is the folder's own.
  const env = { ...process.env, npm_config_global: 'false', npm_config_location: 'project' };
  delete env.npm_config_prefix;
  execFileSync(
    'npm',
    ['install', '--include=dev', '--ignore-scripts', '--no-save', '--no-audit', '--no-fund'],
    {
      cwd: new URL('..', import.meta.url),
      env,
      stdio: 'inherit',
    },
  );
}
await import('./build.mjs');
