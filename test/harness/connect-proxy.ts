// A real forward proxy for HTTP_PROXY / HTTPS_PROXY tests: node:http on 127.0.0.1 that tunnels
// CONNECT requests (undici's proxy agent tunnels every request, plain HTTP ones too) and, for a
// client that sends absolute-URI requests instead, forwards those. It records each tunnel's
// target and the Proxy-Authorization it was given; it never sees inside a TLS tunnel.
//
// Names under .ferry.test (reserved, resolving nowhere) are connected to 127.0.0.1: a registry or
// token server on loopback can then be named as a non-loopback host, which ferry must proxy (and
// cannot reach without the proxy), e.g. `registry.ferry.test:PORT` (ca.ts puts that name in the
// server certificate) or `auth.ferry.test:PORT`.
import { createServer, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { connect, type Socket } from 'node:net';

export interface ProxyVisit {
  /** 'CONNECT' or the forwarded request's method. */
  method: string;
  /** host:port for CONNECT, the absolute URL otherwise. */
  target: string;
  headers: IncomingHttpHeaders;
}

export interface ConnectProxy {
  url: string;
  visits: ProxyVisit[];
  close(): Promise<void>;
}

/** Where the proxy connects for `host`: *.ferry.test is 127.0.0.1, anything else as named. */
export function proxyTarget(host: string): string {
  return /(^|\.)ferry\.test$/i.test(host) ? '127.0.0.1' : host;
}

export async function startConnectProxy(): Promise<ConnectProxy> {
  const visits: ProxyVisit[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    visits.push({ method: req.method ?? '', target: req.url ?? '', headers: req.headers });
    const target = new URL(req.url ?? '');
    target.hostname = proxyTarget(target.hostname);
    const upstream = httpRequest(target, { method: req.method, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.on('connect', (req, client: Socket, head: Buffer) => {
    visits.push({ method: 'CONNECT', target: req.url ?? '', headers: req.headers });
    const [host, port] = (req.url ?? '').split(/:(?=\d+$)/);
    const upstream = connect(Number(port), proxyTarget(host ?? '127.0.0.1'), () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    sockets.add(upstream);
    upstream.on('close', () => sockets.delete(upstream));
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });
  await new Promise<void>((ready) => server.listen(0, '127.0.0.1', ready));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('connect proxy: no port');
  return {
    url: `http://127.0.0.1:${address.port}`,
    visits,
    close: () =>
      new Promise<void>((done) => {
        for (const s of sockets) s.destroy();
        server.close(() => done());
      }),
  };
}
