/** The IDE router over HTTP (page negotiation, assets, the off switch) and the saved queries it ships. */
import http from 'node:http';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { brotliCompressSync, brotliDecompressSync, gzipSync } from 'node:zlib';
import { parse, visit } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IdeManifest } from '../../gateway/ide/build.js';
import { savedQueries } from '../../gateway/ide/saved-queries.js';
import { startIdeTestServer, type IdeTestServer } from './support.js';

const BROWSER_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';
const ENTRY_JS = `console.log(${JSON.stringify('x'.repeat(4000))});\n`;

interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** A request with exactly the headers given (fetch would add Accept-Encoding and decompress). */
function request(
  url: string,
  headers: Record<string, string> = {},
  method = 'GET',
  body?: string,
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** A stand-in for gateway/ide/dist, so these tests do not depend on (or race with) the real build. */
async function fakeDist(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'chargegraph-ide-dist-'));
  await mkdir(path.join(dir, 'assets'));
  const files: Record<string, string | Buffer> = {
    'ide-TEST.js.br': brotliCompressSync(ENTRY_JS),
    'ide-TEST.js.gz': gzipSync(ENTRY_JS),
    'ide-TEST.css': 'body{margin:0}',
  };
  for (const [name, content] of Object.entries(files)) await writeFile(path.join(dir, 'assets', name), content);
  const manifest: IdeManifest = {
    entry: 'ide-TEST.js',
    styles: ['ide-TEST.css'],
    assets: [
      { file: 'ide-TEST.css', bytes: 14, precompressed: false },
      { file: 'ide-TEST.js', bytes: ENTRY_JS.length, precompressed: true },
    ],
    builtAt: new Date().toISOString(),
  };
  await writeFile(path.join(dir, 'manifest.json'), JSON.stringify(manifest));
  return dir;
}

describe('IDE router, enabled', () => {
  let server: IdeTestServer;
  let distDir: string;
  const nasty = {
    id: 'nasty',
    title: 'Nasty',
    description: '</script><script>alert(1)</script>',
    query: '{ __typename }',
  };

  beforeAll(async () => {
    distDir = await fakeDist();
    server = await startIdeTestServer({ distDir, savedQueries: [...savedQueries, nasty] });
  });
  afterAll(async () => {
    await server.close();
    await rm(distDir, { recursive: true, force: true });
  });

  it.each(['/', '/graphql', '/graphql?query=%7B__typename%7D'])(
    'serves the IDE page at %s to browsers',
    async (url) => {
      const res = await request(server.origin + url, { accept: BROWSER_ACCEPT });
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toMatch(/^text\/html/);
      expect(res.headers['cache-control']).toBe('no-cache');
      expect(res.headers['content-security-policy']).toContain("default-src 'self'");
      expect(res.headers.vary).toMatch(/Accept/);
      const html = res.body.toString();
      expect(html).toContain('<script type="module" src="/ide/assets/ide-TEST.js"></script>');
      expect(html).toContain('<link rel="stylesheet" href="/ide/assets/ide-TEST.css">');
      expect(html).not.toMatch(/https?:\/\//); // nothing from elsewhere
      const config = JSON.parse(
        /<script type="application\/json" id="chargegraph-ide-config">(.*?)<\/script>/s.exec(html)?.[1] ?? '{}',
      );
      expect(config.graphqlPath).toBe('/graphql');
      expect(config.savedQueries.map((q: { id: string }) => q.id)).toEqual([...savedQueries.map((q) => q.id), 'nasty']);
      // A description cannot close the script element.
      expect(html).not.toContain('</script><script>alert(1)');
      expect(config.savedQueries.at(-1).description).toBe(nasty.description);
    },
  );

  it('leaves API requests to the GraphQL server', async () => {
    const post = await request(
      `${server.origin}/graphql`,
      { 'content-type': 'application/json' },
      'POST',
      JSON.stringify({ query: '{ __typename }' }),
    );
    expect(post.status).toBe(200);
    expect(JSON.parse(post.body.toString())).toEqual({ data: { __typename: 'Query' } });

    // Clients that do not prefer HTML reach Apollo (whose CSRF prevention answers their GETs).
    for (const [url, accept] of [
      ['/graphql', 'application/json'],
      ['/graphql', '*/*'],
      ['/graphql?query=%7B__typename%7D', 'application/json'],
      ['/graphql?query=%7B__typename%7D', ''],
    ]) {
      const res = await request(server.origin + url, accept ? { accept } : {});
      expect(res.headers['content-type'], `${url} ${accept}`).not.toMatch(/text\/html/);
    }
    expect((await request(`${server.origin}/`, { accept: 'application/json' })).status).toBe(404);
  });

  it('serves assets immutable and precompressed', async () => {
    const url = `${server.origin}/ide/assets/ide-TEST.js`;
    const br = await request(url, { 'accept-encoding': 'gzip, deflate, br' });
    expect(br.status).toBe(200);
    expect(br.headers['content-type']).toMatch(/^(text|application)\/javascript/);
    expect(br.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(br.headers['content-encoding']).toBe('br');
    expect(br.headers.vary).toMatch(/Accept-Encoding/);
    expect(brotliDecompressSync(br.body).toString()).toBe(ENTRY_JS);

    const gz = await request(url, { 'accept-encoding': 'gzip' });
    expect(gz.headers['content-encoding']).toBe('gzip');

    // Only the compressed copies are on disk: a client that takes neither gets it gunzipped.
    const plain = await request(url);
    expect(plain.status).toBe(200);
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.headers['content-type']).toMatch(/javascript/);
    expect(plain.body.toString()).toBe(ENTRY_JS);
    expect((await request(url, { 'accept-encoding': 'identity' })).body.toString()).toBe(ENTRY_JS);

    const css = await request(`${server.origin}/ide/assets/ide-TEST.css`, { 'accept-encoding': 'br' });
    expect(css.headers['content-type']).toMatch(/^text\/css/);
    expect(css.headers['content-encoding']).toBeUndefined();
  });

  it('serves nothing but the built assets', async () => {
    for (const url of [
      '/ide/assets/nope.js',
      '/ide/assets/..%2Fmanifest.json',
      '/ide/assets/ide-TEST.js.br',
      '/ide/manifest.json',
      '/ide/',
    ]) {
      expect((await request(server.origin + url)).status, url).toBe(404);
    }
  });

  it('says how to build the IDE when it is not built', async () => {
    const empty = await mkdtemp(path.join(tmpdir(), 'chargegraph-ide-empty-'));
    const unbuilt = await startIdeTestServer({ distDir: empty });
    try {
      const res = await request(`${unbuilt.origin}/`, { accept: BROWSER_ACCEPT });
      expect(res.status).toBe(503);
      expect(res.body.toString()).toContain('npm run build:ide');
    } finally {
      await unbuilt.close();
      await rm(empty, { recursive: true, force: true });
    }
  });
});

describe('IDE router, disabled (production)', () => {
  let server: IdeTestServer;
  let distDir: string;

  beforeAll(async () => {
    distDir = await fakeDist();
    server = await startIdeTestServer({ enabled: false, distDir });
  });
  afterAll(async () => {
    await server.close();
    await rm(distDir, { recursive: true, force: true });
  });

  it('serves no page and no asset', async () => {
    for (const url of ['/', '/graphql', '/graphql?query=%7B__typename%7D']) {
      const res = await request(server.origin + url, { accept: BROWSER_ACCEPT });
      expect(res.status, url).toBe(404);
      expect(res.body.toString()).not.toContain('<script');
    }
    expect((await request(`${server.origin}/ide/assets/ide-TEST.js`)).status).toBe(404);
  });

  it('still lets GraphQL requests through', async () => {
    const post = await request(
      `${server.origin}/graphql`,
      { 'content-type': 'application/json' },
      'POST',
      JSON.stringify({ query: '{ __typename }' }),
    );
    expect(JSON.parse(post.body.toString())).toEqual({ data: { __typename: 'Query' } });
  });
});

describe('saved queries', () => {
  it('have unique ids, a title and a description', () => {
    expect(savedQueries.length).toBeGreaterThanOrEqual(5);
    expect(new Set(savedQueries.map((q) => q.id)).size).toBe(savedQueries.length);
    for (const q of savedQueries) {
      expect(q.id).toMatch(/^[a-z0-9-]+$/);
      expect(q.title.trim(), q.id).not.toBe('');
      expect(q.description.trim(), q.id).not.toBe('');
    }
  });

  it.each(savedQueries.map((q) => [q.id, q] as const))(
    '%s parses and has a value for every variable it declares',
    (_id, q) => {
      const document = parse(q.query);
      const declared: string[] = [];
      visit(document, { VariableDefinition: (node) => void declared.push(node.variable.name.value) });
      expect(Object.keys(q.variables ?? {}).sort()).toEqual(declared.sort());
    },
  );

  it('cover what analysts asked for', () => {
    const text = savedQueries.map((q) => q.query).join('\n');
    expect(text).toMatch(
      /revenueReport\(period: \$period\) \{\s*currency\s*gross \{\s*amount\s*currency\s*\}\s*applicationFees \{\s*amount\s*\}\s*refunded \{\s*amount\s*\}\s*net \{\s*amount\s*\}\s*paymentCount/,
    );
    for (const field of ['energy(', 'utilisation(', 'paymentStats(', 'stations(first: 5)'])
      expect(text).toContain(field);
  });
});
