// crane (go-containerregistry 0.20.7, from Debian's unstable suite: .ci/run installs it) as a
// referee: what ferry writes, crane must read, and the reverse. Every call runs with DOCKER_CONFIG
// pointing at an empty directory unless `dockerConfig` is given, so no developer's credentials
// leak in, and with --insecure for the harness's plain-HTTP registries.
import { runCommand } from './proc.js';
import { makeTempDir } from './tmp.js';

export interface CraneOptions {
  /** A DOCKER_CONFIG directory with credentials; default an empty one. */
  dockerConfig?: string;
  /** Default 60 s. */
  timeoutMs?: number;
}

let emptyConfig: Promise<string> | undefined;

/** `crane ARGS…`: its stdout, rejecting with crane's stderr in the message. */
export async function runCrane(args: readonly string[], options: CraneOptions = {}): Promise<Buffer> {
  emptyConfig ??= makeTempDir('crane-config');
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DOCKER_CONFIG: options.dockerConfig ?? (await emptyConfig),
  };
  const { stdout } = await runCommand('crane', ['--insecure', ...args], {
    env,
    timeoutMs: options.timeoutMs ?? 60_000,
  });
  return stdout;
}

/** `crane push DIR REF`: an OCI layout's one entry, pushed byte for byte (any media types). */
export async function cranePush(layoutDir: string, ref: string, options: CraneOptions = {}): Promise<void> {
  await runCrane(['push', layoutDir, ref], options);
}

/** `crane digest REF`. */
export async function craneDigest(ref: string, options: CraneOptions = {}): Promise<string> {
  return (await runCrane(['digest', ref], options)).toString('utf8').trim();
}
