/** The gateway's supergraph source in URL mode: polling with ETag, refusing bad versions, falling back at boot. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSupergraphEnv } from '../../gateway/partner-config.js';
import { SupergraphSource } from '../../gateway/supergraph.js';
import { supergraphHash } from '../../schema/artifact.js';
import { DEV_SUBGRAPH_SECRET } from '../../platform/config.js';
import { createLogger } from '../../platform/logger.js';

let published = { status: 200, body: '' };
const requests: Array<string | undefined> = [];
const server = http.createServer((req, res) => {
  requests.push(req.headers['if-none-match']);
  const etag = `"${supergraphHash(published.body)}"`;
  if (published.status === 200 && req.headers['if-none-match'] === etag) return void res.writeHead(304).end();
  res.writeHead(published.status, published.status === 200 ? { etag } : {}).end(published.body);
});
let url: string;
let supergraph: string;

beforeAll(async () => {
  supergraph = await readFile(new URL('../../schema/supergraph.graphql', import.meta.url), 'utf8');
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/supergraph.graphql?token=s3cret`;
});
afterAll(() => new Promise((resolve) => server.close(resolve)));

function source(env: Record<string, string>, fallbackSdl?: string) {
  return new SupergraphSource({
    settings: loadSupergraphEnv(env),
    env,
    signingSecret: DEV_SUBGRAPH_SECRET,
    logger: createLogger('gateway', 'silent'),
    fallbackSdl,
  });
}

const hookOptions = (updates: string[]) => ({
  update: (sdl: string) => void updates.push(sdl),
  healthCheck: async () => {},
  getDataSource: () => {
    throw new Error('not used');
  },
});

async function until(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('supergraph from a URL', () => {
  it('polls with If-None-Match, swaps to a new version and refuses a broken one', async () => {
    published = { status: 200, body: supergraph };
    const live = source({ SUPERGRAPH_URL: url, SUPERGRAPH_POLL_MS: '50' });
    const updates: string[] = [];
    const { supergraphSdl, cleanup } = await live.hook(hookOptions(updates));
    try {
      expect(supergraphSdl).toBe(supergraph);
      expect(live.status()).toMatchObject({
        hash: supergraphHash(supergraph),
        origin: url.replace('?token=s3cret', ''),
      });
      await until(() => requests.filter(Boolean).length >= 2); // unchanged: answered 304, nothing reloaded
      expect(updates).toEqual([]);

      const next = `${supergraph}\n# a new version\n`;
      published = { status: 200, body: next };
      await until(() => updates.length === 1);
      expect(updates[0]).toBe(next);
      expect(live.status().hash).toBe(supergraphHash(next));

      published = { status: 500, body: 'oops' };
      await until(() => live.status().rejected !== undefined);
      expect(live.status()).toMatchObject({
        hash: supergraphHash(next),
        rejected: { reason: expect.stringMatching(/answered 500/) },
      });
      expect(JSON.stringify(live.status())).not.toContain('s3cret');
      expect(updates).toHaveLength(1);
    } finally {
      await cleanup?.();
    }
  });

  it('serves the supergraph shipped with the gateway when the URL cannot be read at boot', async () => {
    published = { status: 503, body: '' };
    const live = source({ SUPERGRAPH_URL: url, SUPERGRAPH_POLL_MS: '5000' }, supergraph);
    const { supergraphSdl, cleanup } = await live.hook(hookOptions([]));
    await cleanup?.();
    expect(supergraphSdl).toBe(supergraph);
    expect(live.status()).toMatchObject({
      origin: expect.stringMatching(/^fallback/),
      rejected: { reason: expect.stringMatching(/answered 503/) },
    });
  });

  it('refuses to boot on a broken supergraph when there is nothing to fall back to', async () => {
    published = { status: 200, body: 'type Query {' };
    await expect(source({ SUPERGRAPH_URL: url }).hook(hookOptions([]))).rejects.toThrow(/Syntax Error/);
  });
});
