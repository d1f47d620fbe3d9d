// Link-header pagination of tags/list (and _catalog). Distribution 2.8 does not paginate tags
// (shared/lab/LAB.md §5), and pages the catalog only past 1000 entries at ferry's page size, so
// this file uses a small node:http stub on 127.0.0.1:0 that serves pages of two with RFC 8288
// `Link: <…>; rel="next"` headers, as distribution 3, GHCR and Docker Hub do. The stub exists
// only for what the real registry cannot do; everything else is tested against the real one.
//
// Stub repositories:
//   x      a b | c d | e            relative, absolute-path Links
//   multi  a b | c d | e            several links per header, unquoted rel, a path-relative target
//   cross  a b → Link to another origin (a second stub that must never be asked)
//   loop   a b → Link to itself, forever
//   cycle  a b → c d → back to the a b page's Link, forever
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, test } from 'node:test';
import { assertFailure } from '../harness/fixtures.js';
import { type FerryResult, ferry } from '../harness/run-ferry.js';

const TAGS = ['a', 'b', 'c', 'd', 'e'];
const REPOS = ['r1', 'r2', 'r3', 'r4', 'r5'];
const PAGE = 2;
/** A loop that is not detected fails the test instead of hanging the suite. */
const NO_HANG = { timeout: 30_000 };

interface Stub {
  server: Server;
  host: string;
  /** Request URLs (path and query) received, oldest first. */
  hits: string[];
}

interface Reply {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

const reply = (status: number, body: unknown, headers: Record<string, string> = {}): Reply => ({
  status,
  body,
  headers,
});

function send(res: ServerResponse, { status, body, headers }: Reply): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
    'Docker-Distribution-API-Version': 'registry/2.0',
    ...headers,
  });
  res.end(text);
}

/** The page after `last` (entries are sorted), at most min(n, PAGE) long. */
function page(all: readonly string[], url: URL): { items: string[]; more: boolean } {
  const last = url.searchParams.get('last');
  const n = Math.min(Number(url.searchParams.get('n') ?? PAGE) || PAGE, PAGE);
  const rest = last === null ? [...all] : all.filter((t) => t > last);
  return { items: rest.slice(0, n), more: rest.length > n };
}

async function listen(handler: (req: IncomingMessage) => Reply): Promise<Stub> {
  const hits: string[] = [];
  const server = createServer((req, res) => {
    hits.push(req.url ?? '');
    send(res, handler(req));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return { server, host: `127.0.0.1:${(server.address() as AddressInfo).port}`, hits };
}

async function close(stub: Stub | undefined): Promise<void> {
  if (!stub) return;
  await new Promise<void>((resolve) => {
    stub.server.close(() => resolve());
    stub.server.closeAllConnections();
  });
}

let stub: Stub;
let other: Stub;

function handle(req: IncomingMessage): Reply {
  const url = new URL(req.url ?? '/', 'http://stub');
  if (url.pathname === '/v2/') return reply(200, {});
  if (url.pathname === '/v2/_catalog') {
    const p = page(REPOS, url);
    const link = p.more
      ? { Link: `</v2/_catalog?last=${encodeURIComponent(p.items.at(-1) ?? '')}&n=${PAGE}>; rel="next"` }
      : {};
    return reply(200, { repositories: p.items }, link);
  }
  const name = /^\/v2\/(.+)\/tags\/list$/.exec(url.pathname)?.[1];
  const self = `/v2/${name}/tags/list`;
  switch (name) {
    case 'x': {
      const p = page(TAGS, url);
      const link = p.more ? { Link: `<${self}?n=${PAGE}&last=${p.items.at(-1)}>; rel="next"` } : {};
      return reply(200, { name, tags: p.items }, link);
    }
    case 'multi': {
      const p = page(TAGS, url);
      // A prev link first, an unquoted rel, and a target relative to the request path.
      const links = [`<${self}?n=${PAGE}>; rel="prev"; title="back"`];
      if (p.more) links.push(`<list?n=${PAGE}&last=${p.items.at(-1)}>; rel=next`);
      return reply(200, { name, tags: p.items }, { Link: links.join(', ') });
    }
    case 'cross':
      return reply(
        200,
        { name, tags: ['a', 'b'] },
        { Link: `<http://${other.host}${self}?n=${PAGE}&last=b>; rel="next"` },
      );
    case 'loop':
      return reply(200, { name, tags: ['a', 'b'] }, { Link: `<${self}?n=${PAGE}&last=b>; rel="next"` });
    case 'cycle': {
      const last = url.searchParams.get('last');
      const [tags, next] = last === 'b' ? [['c', 'd'], 'd'] : [['a', 'b'], 'b'];
      return reply(200, { name, tags }, { Link: `<${self}?n=${PAGE}&last=${next}>; rel="next"` });
    }
    default:
      return reply(404, {
        errors: [
          { code: 'NAME_UNKNOWN', message: 'repository name not known to registry', detail: { name } },
        ],
      });
  }
}

before(async () => {
  [stub, other] = await Promise.all([listen(handle), listen(() => reply(200, { tags: ['evil'] }))]);
});

after(async () => {
  await Promise.all([close(stub), close(other)]);
});

beforeEach(() => {
  stub.hits.length = 0;
  other.hits.length = 0;
});

/** `ferry --plain-http STUB <args>` (the stub speaks plain HTTP). */
const run = (...args: string[]): Promise<FerryResult> => ferry(['--plain-http', stub.host, ...args]);
const tagRequests = (name: string): string[] =>
  stub.hits.filter((h) => h.startsWith(`/v2/${name}/tags/list`));

describe('pagination: following Link rel="next"', () => {
  test('ls follows every page of a relative Link', async () => {
    const r = await run('ls', `${stub.host}/x`);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `${TAGS.join('\n')}\n`);
    assert.equal(r.stderr, '');
    const pages = tagRequests('x');
    assert.equal(pages.length, 3, pages.join(' '));
    assert.deepEqual(pages.slice(1), [
      `/v2/x/tags/list?n=${PAGE}&last=b`,
      `/v2/x/tags/list?n=${PAGE}&last=d`,
    ]);
    assert.equal(
      new URL(pages[0] ?? '', 'http://x').searchParams.get('last'),
      null,
      'the first page starts at the top',
    );
  });

  test('ls --json gathers all pages', async () => {
    const r = await run('ls', '--json', `${stub.host}/x`);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout).tags, TAGS);
  });

  test('several links, unquoted rel, path-relative target', async () => {
    const r = await run('ls', `${stub.host}/multi`);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `${TAGS.join('\n')}\n`);
    assert.deepEqual(tagRequests('multi').slice(1), [
      `/v2/multi/tags/list?n=${PAGE}&last=b`,
      `/v2/multi/tags/list?n=${PAGE}&last=d`,
    ]);
  });

  test('catalog follows every page', async () => {
    const r = await run('catalog', stub.host);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `${REPOS.join('\n')}\n`);
    assert.equal(stub.hits.filter((h) => h.startsWith('/v2/_catalog')).length, 3);
  });
});

describe('pagination: --limit and --last', () => {
  test('--limit 2 fetches one page and prints the --last hint', async () => {
    const r = await run('ls', '--limit', '2', `${stub.host}/x`);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'a\nb\n');
    assert.match(r.stderr, /--last b\b/);
    assert.deepEqual(tagRequests('x'), [`/v2/x/tags/list?n=2`]);
  });

  test('--limit 2 --last b fetches the next page; the last page has no hint', async () => {
    const r = await run('ls', '--limit', '2', '--last', 'b', `${stub.host}/x`);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'c\nd\n');
    assert.match(r.stderr, /--last d\b/);
    assert.deepEqual(tagRequests('x'), ['/v2/x/tags/list?n=2&last=b']);

    const end = await run('ls', '--limit', '2', '--last', 'd', `${stub.host}/x`);
    assert.equal(end.code, 0, end.stderr);
    assert.equal(end.stdout, 'e\n');
    assert.equal(end.stderr, '');
  });

  test('catalog --limit 2 --json reports next', async () => {
    const r = await run('catalog', '--limit', '2', '--json', stub.host);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), { registry: stub.host, repositories: ['r1', 'r2'], next: 'r2' });
  });
});

describe('pagination: hostile Links', () => {
  test('a Link to another origin is refused, and that origin is never asked', NO_HANG, async () => {
    const r = await run('ls', `${stub.host}/cross`);
    assertFailure(r, undefined, /another origin/);
    assert.equal(tagRequests('cross').length, 1);
    assert.deepEqual(other.hits, []);
  });

  test('a Link to itself is detected as a loop', NO_HANG, async () => {
    const r = await run('ls', `${stub.host}/loop`);
    assertFailure(r, undefined, /loop/);
    assert.ok(tagRequests('loop').length <= 3, `requests: ${tagRequests('loop').join(' ')}`);
  });

  test('a two-page cycle is detected as a loop', NO_HANG, async () => {
    const r = await run('ls', `${stub.host}/cycle`);
    assertFailure(r, undefined, /loop/);
    assert.ok(tagRequests('cycle').length <= 4, `requests: ${tagRequests('cycle').join(' ')}`);
  });

  test('unknown repository on a paginating registry: exit 1', async () => {
    const r = await run('ls', `${stub.host}/nope`);
    assert.equal(r.code, 1, r.stderr);
    assertFailure(r, undefined, /not found/);
  });
});
