/**
 * What the command line says about one registry, and about no other: its credentials (so also
 * its token server's) and its certificate directory. The Context binds the global -u and
 * --cert-dir to the one registry of a single-registry command; copy (and sync) bind each side's
 * own flags (commands/side-options.ts). Nothing bound here is ever offered to another registry.
 */
import { ANONYMOUS, type Credential } from '../auth/credential.js';
import { registryEndpoint, splitHostPort } from '../ref/index.js';

/** Credentials given on the command line, with the flag that gave them (for messages). */
export type BoundCredential =
  | { kind: 'password'; username: string; password: string; flag: string }
  /** The password comes on stdin (only one flag of a run may read it). */
  | { kind: 'stdin'; username: string; flag: string }
  /** Anonymous, whatever the config files hold (--src-no-creds). */
  | { kind: 'anonymous'; flag: string };

export interface RegistryBinding {
  credential?: BoundCredential | undefined;
  /** How to give this registry credentials on this command line, for hints ('--src-creds USER …'). */
  hint?: string | undefined;
  /** A certificate directory (CA *.crt, client NAME.cert + NAME.key) for this registry only. */
  certDir?: { dir: string; flag: string } | undefined;
}

/** 'host:port' with HTTPS's default port filled in, so 'example.com' and 'example.com:443' compare equal. */
function withPort(hostPort: string): string {
  const { host, port } = splitHostPort(hostPort.toLowerCase());
  return `${host}:${port ?? '443'}`;
}

/** Bindings by ferry's registry name ('docker.io', '127.0.0.1:5000'). */
export class RegistryBindings {
  private readonly byRegistry = new Map<string, RegistryBinding>();

  set(registry: string, binding: RegistryBinding): void {
    this.byRegistry.set(registry, binding);
  }

  get(registry: string): RegistryBinding | undefined {
    return this.byRegistry.get(registry);
  }

  /** The certificate directory bound to the registry whose endpoint is `hostPort` (URL.host of https:). */
  certDirFor(hostPort: string): RegistryBinding['certDir'] {
    const wanted = withPort(hostPort);
    for (const [registry, binding] of this.byRegistry) {
      if (binding.certDir && withPort(registryEndpoint(registry)) === wanted) return binding.certDir;
    }
    return undefined;
  }
}

/** The Credential a bound one stands for; `stdinPassword` reads the password when it comes on stdin. */
export async function boundCredential(
  bound: BoundCredential,
  stdinPassword: (flag: string) => Promise<string>,
): Promise<Credential> {
  if (bound.kind === 'anonymous') return ANONYMOUS;
  const password = bound.kind === 'password' ? bound.password : await stdinPassword(bound.flag);
  return { kind: 'basic', username: bound.username, password };
}
