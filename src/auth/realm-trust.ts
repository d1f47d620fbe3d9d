/**
 * Whether a registry's credentials may go to the token realm its challenge names. The realm is
 * chosen by whoever answered the registry's /v2/, so a password (Basic) or refresh token sent
 * there in the clear must not leave the machine unless the user already accepted plain HTTP for
 * that very host:
 *
 * - an https: realm is fine (the usual case: Docker Hub, GHCR, Harbor behind TLS);
 * - an http: realm on a loopback address (localhost, 127.0.0.0/8, ::1) never leaves the machine;
 * - an http: realm on the registry's own host, when the registry itself is plain HTTP, sees no
 *   more than the registry already does (Harbor or GitLab over plain HTTP in a lab);
 * - an http: realm the user listed with --plain-http (or plain-http in the settings file) was
 *   accepted on purpose;
 * - anything else is refused: an https: registry whose realm is http: (a downgrade), or a
 *   plain-HTTP realm on another host.
 *
 * Hosts compare by name without the port: 127.0.0.2 and 127.0.0.1 are different hosts (both
 * loopback), registry.example and auth.example too.
 */
import { isLoopbackHost } from '../ref/index.js';

/** Why the credentials must not go to `realm`, or undefined when they may. */
export function realmRefusal(
  registry: URL,
  realm: URL,
  plainHttpAllowed: (hostPort: string) => boolean = () => false,
): string | undefined {
  if (realm.protocol !== 'http:') return undefined;
  if (isLoopbackHost(realm.host) || plainHttpAllowed(realm.host)) return undefined;
  if (registry.protocol === 'https:') {
    return `its token server ${realm.origin} is plain HTTP while ${registry.host} is HTTPS`;
  }
  if (realm.hostname !== registry.hostname) {
    return `its token server ${realm.origin} is plain HTTP on another host`;
  }
  return undefined;
}
