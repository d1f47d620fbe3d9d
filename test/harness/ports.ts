// Loopback ports: asking the kernel for a free one, and reading the port a server reports.
import { createServer } from 'node:net';

/**
 * A port that was free a moment ago on `host` (bind to port 0, read it, close). Prefer letting the
 * server bind port 0 itself (the registry and token server do) — this is for tools that cannot.
 */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new Error('no port assigned'))));
    });
  });
}

/**
 * The port from the registry's start-up log line, e.g.
 * `level=info msg="listening on 127.0.0.1:35985" go.version=...`; undefined if not logged yet.
 */
export function parseListenPort(log: string): number | undefined {
  const match = /listening on (?:\[[^\]]*\]|[^\s:"]*):(\d+)/.exec(log);
  return match?.[1] === undefined ? undefined : Number(match[1]);
}
