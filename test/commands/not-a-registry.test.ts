// A host that is not a registry is never "absent": `exists` (and every other command) exits 1
// only when a registry said the manifest is not there. A plain web server whose /v2/ is an HTML
// 404 (or an HTML 200), and the token server's port, are named as "not a registry" (exit 7), and
// a real registry still answers absent with 1.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { errorLine } from '../harness/fixtures.js';
import { type Registry, startRegistry } from '../harness/registry.js';
import { baseEnv, ferry } from '../harness/run-ferry.js';
import { startTokenServer, type TokenServer } from '../harness/token-server.js';

/** A web server answering every path with `status` and a small HTML page; it counts the paths asked for. */
async function startWebServer(status: number): Promise<{ host: string; paths: string[]; server: Server }> {
  const paths: string[] = [];
  const server = createServer((req, res) => {
    paths.push(`${req.method} ${req.url}`);
    res.writeHead(status, { 'content-type': 'text/html; charset=utf-8' });
    res.end(`<!doctype html><title>${status}</title><h1>${status}</h1>\n`);
  });
  await new Promise<void>((ready) => server.listen(0, '127.0.0.1', ready));
  return { host: `127.0.0.1:${(server.address() as AddressInfo).port}`, paths, server };
}

describe('a host that is not a registry', () => {
  let web404: Awaited<ReturnType<typeof startWebServer>>;
  let web200: Awaited<ReturnType<typeof startWebServer>>;
  let tokens: TokenServer;
  let registry: Registry;

  before(async () => {
    [web404, web200, tokens, registry] = await Promise.all([
      startWebServer(404),
      startWebServer(200),
      startTokenServer(),
      startRegistry(),
    ]);
  });
  after(async () => {
    await Promise.all([
      new Promise((done) => web404.server.close(done)),
      new Promise((done) => web200.server.close(done)),
      tokens.close(),
      registry.stop(),
    ]);
  });

  const NOT_A_REGISTRY_HINT = '(hint: check the host and port; a registry answers GET /v2/ with 200 or 401)';

  test('exists against a web server whose /v2/ is an HTML 404: exit 7, one line, and no manifest request', async () => {
    const r = await ferry(['exists', `${web404.host}/app/one:v1`], { env: baseEnv() });
    assert.equal(r.code, 7, r.stderr);
    assert.equal(
      errorLine(r),
      `ferry: ${web404.host} is not a registry: GET /v2/ answered HTTP 404, text/html, ` +
        `no Docker-Distribution-API-Version header ${NOT_A_REGISTRY_HINT}`,
    );
    // The ping was enough to tell: no HEAD of the manifest was sent.
    assert.deepEqual(
      web404.paths.filter((p) => !p.endsWith(' /v2/')),
      [],
    );
  });

  test('exists against the token server port: exit 7, not 1', async () => {
    const host = new URL(tokens.url).host;
    const r = await ferry(['exists', `${host}/app/one:v1`], { env: baseEnv() });
    assert.equal(r.code, 7, r.stderr);
    assert.match(
      errorLine(r),
      new RegExp(
        `^ferry: ${host.replaceAll('.', '\\.')} is not a registry: GET /v2/ answered HTTP 404, application/json, no Docker-Distribution-API-Version header`,
      ),
    );
  });

  test('a web page answering 200 at /v2/ is not a registry either', async () => {
    const r = await ferry(['exists', `${web200.host}/app/one:v1`], { env: baseEnv() });
    assert.equal(r.code, 7, r.stderr);
    assert.match(
      errorLine(r),
      /is not a registry: GET \/v2\/ answered HTTP 200, text\/html, no Docker-Distribution-API-Version header/,
    );
  });

  test('every command says the same (digest, manifest, ls, catalog, config, pull, copy)', async () => {
    const ref = `${web404.host}/app/one:v1`;
    const out = `/tmp/ferry-not-a-registry-${process.pid}.tar`;
    for (const args of [
      ['digest', ref],
      ['manifest', ref],
      ['ls', `${web404.host}/app/one`],
      ['catalog', web404.host],
      ['config', ref],
      ['pull', ref, out],
      ['copy', ref, `${registry.host}/app/one:v1`],
    ]) {
      const r = await ferry(args, { env: baseEnv() });
      assert.equal(r.code, 7, `${args[0]}: ${r.stderr}`);
      assert.match(
        errorLine(r),
        new RegExp(`${web404.host.replaceAll('.', '\\.')} is not a registry`),
        args[0],
      );
    }
  });

  test('plain HTTP asked of a TLS registry: exit 5, saying it speaks HTTPS', async () => {
    const tls = await startRegistry('tls');
    try {
      const r = await ferry(['--plain-http', tls.host, 'exists', `${tls.host}/app/one:v1`], {
        env: baseEnv(),
      });
      assert.equal(r.code, 5, r.stderr);
      assert.equal(
        errorLine(r),
        `ferry: ${tls.host} speaks HTTPS, not plain HTTP (hint: drop --plain-http ${tls.host}, or plain-http: true from the settings file)`,
      );
    } finally {
      await tls.stop();
    }
  });

  test('a real registry still answers absent with exit 1', async () => {
    const r = await ferry(['exists', `${registry.host}/app/one:v1`], { env: baseEnv() });
    assert.equal(r.stderr, '');
    assert.equal(r.code, 1);
    assert.equal(r.stdout, `${registry.host}/app/one:v1: absent\n`);
  });
});
