// What Distribution 2.8 cannot do about OCI 1.1 referrers, added by a real HTTP proxy in front of
// a real harness registry (plain HTTP), in the style of fault-proxy.ts; everything else (blobs,
// manifests, tags, auth) is the registry's own answer, forwarded as it is:
//
//   const proxy = await startReferrersProxy({ registry: reg, mode: 'api' });
//   after(() => proxy.close());
//   // ferry … `${proxy.host}/repo:tag` …
//   proxy.log;   // [{ method, path, status }]
//
// Modes:
//   'api'          the referrers API (distribution-spec end-12a/12b): GET /v2/<name>/referrers/<digest>
//                  answers an OCI index of the repository's manifests whose `subject` is <digest>
//                  (read from the registry's own storage, so it lists whatever the registry holds,
//                  however it got there), with artifactType, annotations, the `artifactType` filter
//                  (`OCI-Filters-Applied`) and, with `pageSize`, Link pagination; a manifest PUT
//                  with a subject is answered with `OCI-Subject`, as the spec asks.
//   'header-only'  as ECR was found to behave (sigstore/sigstore-js#1183): `OCI-Subject` on a
//                  manifest PUT with a subject, but no referrers API (the registry's 404).
//   'subject-tag'  as GitLab's registry behaves (oras-project/oras-go#1396): no referrers API, and
//                  a manifest asked for by `<alg>-<hex>` is served as the manifest `<alg>:<hex>`,
//                  so the referrers tag of an image resolves to the image itself.
import { readdir, readFile } from 'node:fs/promises';
import {
  Agent,
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Registry } from './registry.js';

export type ReferrersProxyMode = 'api' | 'header-only' | 'subject-tag';

export interface ReferrersProxyOptions {
  registry: Registry;
  mode: ReferrersProxyMode;
  /** 'api': referrers per page; more follow through `Link: <…>; rel="next"`. Default: all on one page. */
  pageSize?: number;
}

export interface ReferrersProxyLogEntry {
  method: string;
  /** pathname + search. */
  path: string;
  status: number | undefined;
}

export interface ReferrersProxy {
  /** '127.0.0.1:PORT': point ferry and oras here. */
  host: string;
  url: string;
  mode: ReferrersProxyMode;
  log: ReferrersProxyLogEntry[];
  close(): Promise<void>;
}

const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const REFERRERS = /^\/v2\/(.+)\/referrers\/([a-z0-9]+:[a-f0-9]+)$/;
const MANIFEST = /^\/v2\/(.+)\/manifests\/([^/]+)$/;
const DASH_DIGEST = /^(sha256|sha512)-([a-f0-9]{64,128})$/;

interface Doc {
  mediaType?: string;
  artifactType?: string;
  config?: { mediaType?: string };
  subject?: { digest?: string };
  annotations?: Record<string, string>;
}

/** The manifests of `repository` whose subject is `digest`, from the registry's filesystem storage. */
async function referrersOf(storage: string, repository: string, digest: string): Promise<object[]> {
  const v2 = join(storage, 'docker', 'registry', 'v2');
  const revisions = join(v2, 'repositories', repository, '_manifests', 'revisions', 'sha256');
  const found: object[] = [];
  let hexes: string[];
  try {
    hexes = await readdir(revisions);
  } catch {
    return found;
  }
  for (const hex of hexes.sort()) {
    // A deleted manifest keeps its directory but loses its link.
    const link = await readFile(join(revisions, hex, 'link'), 'utf8').catch(() => undefined);
    if (link === undefined) continue;
    const bytes = await readFile(join(v2, 'blobs', 'sha256', hex.slice(0, 2), hex, 'data')).catch(
      () => undefined,
    );
    if (bytes === undefined) continue;
    let doc: Doc;
    try {
      doc = JSON.parse(bytes.toString('utf8')) as Doc;
    } catch {
      continue;
    }
    if (doc.subject?.digest !== digest) continue;
    const mediaType = doc.mediaType ?? 'application/vnd.oci.image.manifest.v1+json';
    const artifactType = doc.artifactType || (mediaType === OCI_INDEX ? undefined : doc.config?.mediaType);
    found.push({
      mediaType,
      digest: `sha256:${hex}`,
      size: bytes.length,
      ...(artifactType ? { artifactType } : {}),
      ...(doc.annotations && Object.keys(doc.annotations).length > 0 ? { annotations: doc.annotations } : {}),
    });
  }
  return found;
}

function readAll(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export async function startReferrersProxy(options: ReferrersProxyOptions): Promise<ReferrersProxy> {
  const { registry, mode } = options;
  if (registry.tls) throw new Error('the referrers proxy fronts plain-HTTP harness registries only');
  const upstream = new URL(registry.url);
  const agent = new Agent({ keepAlive: true });
  const log: ReferrersProxyLogEntry[] = [];

  /** Forwards the exchange, the body given or streamed; `extra` headers are added to the answer. */
  function forward(
    req: IncomingMessage,
    res: ServerResponse,
    entry: ReferrersProxyLogEntry,
    path: string,
    body: Buffer | undefined,
    extra: (status: number) => Record<string, string>,
  ): void {
    const headers: OutgoingHttpHeaders = { ...req.headers };
    delete headers['connection'];
    if (body !== undefined) headers['content-length'] = String(body.length);
    const out = httpRequest(
      { host: upstream.hostname, port: upstream.port, method: req.method, path, headers, agent },
      (up) => {
        entry.status = up.statusCode;
        const answer: OutgoingHttpHeaders = { ...up.headers, ...extra(up.statusCode ?? 0) };
        delete answer['connection'];
        delete answer['keep-alive'];
        res.writeHead(up.statusCode ?? 502, answer);
        up.pipe(res);
      },
    );
    out.on('error', () => res.destroy());
    if (body !== undefined) out.end(body);
    else req.pipe(out);
  }

  async function referrers(
    res: ServerResponse,
    entry: ReferrersProxyLogEntry,
    url: URL,
    name: string,
    digest: string,
  ) {
    let list = await referrersOf(registry.storageDir, name, digest);
    const filter = url.searchParams.get('artifactType');
    const headers: Record<string, string> = { 'content-type': OCI_INDEX };
    if (filter !== null) {
      list = list.filter((d) => (d as { artifactType?: string }).artifactType === filter);
      headers['oci-filters-applied'] = 'artifactType';
    }
    const size = options.pageSize;
    if (size !== undefined) {
      const start = Number(url.searchParams.get('page') ?? '0');
      if (start + size < list.length) {
        const next = new URL(url);
        next.searchParams.set('page', String(start + size));
        headers['link'] = `<${next.pathname}${next.search}>; rel="next"`;
      }
      list = list.slice(start, start + size);
    }
    const body = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: list }));
    entry.status = 200;
    res.writeHead(200, { ...headers, 'content-length': String(body.length) });
    res.end(body);
  }

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://proxy');
    const entry: ReferrersProxyLogEntry = {
      method: req.method ?? '',
      path: `${url.pathname}${url.search}`,
      status: undefined,
    };
    log.push(entry);
    const none = () => ({});
    const asked = REFERRERS.exec(url.pathname);
    if (asked && mode === 'api' && req.method === 'GET') {
      referrers(res, entry, url, asked[1]!, asked[2]!).catch(() => res.destroy());
      return;
    }
    const manifest = MANIFEST.exec(url.pathname);
    if (manifest && req.method === 'PUT' && mode !== 'subject-tag') {
      readAll(req).then(
        (body) => {
          let subject: string | undefined;
          try {
            subject = (JSON.parse(body.toString('utf8')) as Doc).subject?.digest;
          } catch {
            subject = undefined;
          }
          forward(req, res, entry, entry.path, body, (status) =>
            subject !== undefined && status === 201 ? { 'oci-subject': subject } : {},
          );
        },
        () => res.destroy(),
      );
      return;
    }
    const dashed = manifest ? DASH_DIGEST.exec(manifest[2]!) : null;
    if (dashed && mode === 'subject-tag' && (req.method === 'GET' || req.method === 'HEAD')) {
      forward(req, res, entry, `/v2/${manifest![1]}/manifests/${dashed[1]}:${dashed[2]}`, undefined, none);
      return;
    }
    forward(req, res, entry, entry.path, undefined, none);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    host: `127.0.0.1:${port}`,
    url: `http://127.0.0.1:${port}`,
    mode,
    log,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      agent.destroy();
    },
  };
}
