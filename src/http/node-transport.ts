/**
 * The bottom of the HTTP stack: Node's own http/https client, already in the runtime, so no
 * command pays ~40-70 ms at start to load undici, and connections stay alive after a HEAD
 * (transport-options.ts says when undici is used instead: behind a proxy).
 *
 * It keeps the contract of transport.ts: bytes untouched (no decoding), one keep-alive agent per
 * TLS settings (per host: CA certificates, --insecure, a client certificate), an idle
 * timeout (no bytes for N ms either way, never a total limit), Ctrl-C aborting all but detached
 * requests, and failures mapped by transportError like undici's.
 */
import type { Agent, ClientRequest, IncomingMessage } from 'node:http';
import { NetworkError } from '../errors.js';
import { transportError } from './errors.js';
import {
  requestSignal,
  type TlsSettings,
  type Transport,
  type TransportOptions,
  tlsConnectOptions,
} from './transport-options.js';
import type { HttpRequest, HttpResponse, ResponseBody } from './types.js';

// Taken with getBuiltinModule, not an ESM import: on Node 22 importing node:http by name reads
// every export, and its lazy WebSocket/EventSource getters load Node's own undici (~50 ms at every
// start). node:https (and with it tls) is loaded only for the first https request: a plain-HTTP
// registry on loopback never pays for it.
const http = process.getBuiltinModule('node:http');
const https = () => process.getBuiltinModule('node:https');

/** An IncomingMessage with the helpers the stack expects of a body (undici's shape). */
function asResponseBody(res: IncomingMessage): ResponseBody {
  const body = res as IncomingMessage & Partial<ResponseBody>;
  const collect = async (): Promise<Buffer> => {
    const chunks: Buffer[] = [];
    for await (const chunk of res as AsyncIterable<Buffer>) chunks.push(chunk);
    return Buffer.concat(chunks);
  };
  body.text = async () => (await collect()).toString('utf8');
  body.arrayBuffer = async () => {
    const bytes = await collect();
    return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  };
  // Reads and drops what is left, so the socket goes back to the pool (as undici's dump()).
  body.dump = async () => {
    if (res.readableEnded || res.destroyed) return;
    res.resume();
    await new Promise<void>((done) => {
      res.once('end', done);
      res.once('close', done);
      res.once('error', () => done());
    });
  };
  return body as ResponseBody;
}

export function createNodeTransport(options: TransportOptions): Transport {
  const idle = options.idleTimeoutMs ?? 120_000;
  const agents = new Map<string, Agent>();
  const maxSockets = options.connections ?? 16;

  // One agent for plain HTTP, and one per TLS settings (per-host CA, --insecure, client certificate).
  const agentFor = (tls: TlsSettings | undefined): Agent => {
    const key = tls ? `https-${tls.id}` : 'http';
    let agent = agents.get(key);
    if (!agent) {
      agent = tls
        ? new (https().Agent)({ keepAlive: true, maxSockets, ...tlsConnectOptions(tls) })
        : new http.Agent({ keepAlive: true, maxSockets });
      agents.set(key, agent);
    }
    return agent;
  };

  const send = (req: HttpRequest): Promise<HttpResponse> =>
    new Promise<HttpResponse>((resolve, reject) => {
      const signal = requestSignal(req, options.interrupt);
      const tls = req.url.protocol === 'https:' ? options.tlsFor(req.url.host) : undefined;
      const outgoing: ClientRequest = (tls ? https().request : http.request)(req.url, {
        method: req.method,
        headers: req.headers ?? {},
        agent: agentFor(tls),
        ...(signal ? { signal } : {}),
      });
      let answered = false;
      const fail = (err: unknown): void => {
        if (answered) return;
        answered = true;
        reject(transportError(err, req.url, { tls }));
      };
      // The socket's idle timer covers both directions: waiting for headers, and between body chunks.
      outgoing.setTimeout(idle, () => {
        outgoing.destroy(
          new NetworkError(`${req.url.host} stopped sending (no data within the idle timeout)`, {
            hint: 'a slow link? raise --idle-timeout',
            transient: true,
          }),
        );
      });
      outgoing.once('error', fail);
      outgoing.once('response', (res) => {
        answered = true;
        res.on('error', () => {
          // Surfaces to whoever reads the body (readBody maps it); nothing to do here.
        });
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: asResponseBody(res),
          url: req.url,
        });
      });
      const { body } = req;
      if (body === undefined) outgoing.end();
      else if (typeof body === 'string' || Buffer.isBuffer(body)) outgoing.end(body);
      else {
        body.once('error', (err) => outgoing.destroy(err));
        body.pipe(outgoing);
      }
    });

  return {
    send,
    async close() {
      for (const agent of agents.values()) agent.destroy();
    },
  };
}
