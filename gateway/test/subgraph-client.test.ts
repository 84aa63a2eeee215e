import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { hashBody, IDENTITY_HEADER, IdentityVerifier, Role, type Identity } from '../../platform/identity.js';
import { forCaller, SubgraphClient, SubgraphUnreachableError } from '../subgraph-client.js';

const SECRET = 'subgraph-client-test-secret-long-enough-00';
const verifier = new IdentityVerifier([SECRET]);

/** A stand-in subgraph that answers after `delayMs` and records what it received. */
let received: Array<{ body: string; token: string | undefined }> = [];
let delayMs = 50;
const server = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    const body = Buffer.concat(chunks).toString('utf8');
    received.push({ body, token: req.headers[IDENTITY_HEADER] as string | undefined });
    setTimeout(
      () =>
        res
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify({ data: { echo: received.length } })),
      delayMs,
    );
  });
});
let url: string;
beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
beforeEach(() => {
  received = [];
  delayMs = 50;
});

const client = (options: Partial<ConstructorParameters<typeof SubgraphClient>[0]> = {}) =>
  new SubgraphClient({
    name: 'test',
    signingSecret: SECRET,
    timeoutMs: 2_000,
    maxSockets: 8,
    dedupe: true,
    ...options,
  });
const driver: Identity = { role: Role.DRIVER, sub: 'driver-1' };
const otherDriver: Identity = { role: Role.DRIVER, sub: 'driver-2' };
const QUERY = JSON.stringify({ query: '{ stations { id } }', variables: {} });
const MUTATION = JSON.stringify({ query: 'mutation { stopChargingSession(id: "1") { id } }', variables: {} });
const call = (subject: SubgraphClient, who: Identity | undefined, body: string) =>
  forCaller(who, () =>
    subject.fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body }),
  ).then((response) => response.json());

describe('SubgraphClient', () => {
  it('signs every call for its caller and its exact body, with a token id of its own', async () => {
    const subject = client({ dedupe: false });
    await Promise.all([call(subject, driver, QUERY), call(subject, driver, QUERY)]);
    expect(received).toHaveLength(2);
    const calls = received.map(({ token }) => verifier.verify(token!));
    for (const signed of calls) {
      expect(signed.identity).toEqual({ role: Role.DRIVER, sub: 'driver-1', operatorId: undefined });
      expect(signed.bodyHash).toBe(hashBody(QUERY));
    }
    expect(calls[0].tokenId).not.toBe(calls[1].tokenId);
    subject.close();
  });

  it('shares one call among identical queries in flight for the same caller; each gets its own copy', async () => {
    const subject = client();
    const answers = await Promise.all(Array.from({ length: 10 }, () => call(subject, driver, QUERY)));
    expect(received).toHaveLength(1);
    expect(answers.every((answer) => JSON.stringify(answer) === JSON.stringify({ data: { echo: 1 } }))).toBe(true);
    expect(new Set(answers).size).toBe(10); // not one shared object a request could change for the others
    subject.close();
  });

  it('never shares between callers, never shares mutations, and calls again once the first call ended', async () => {
    const subject = client();
    await Promise.all([
      call(subject, driver, QUERY),
      call(subject, otherDriver, QUERY),
      call(subject, driver, MUTATION),
      call(subject, driver, MUTATION),
    ]);
    expect(received).toHaveLength(4);
    expect(received.filter(({ body }) => body === MUTATION)).toHaveLength(2);
    await call(subject, driver, QUERY);
    expect(received).toHaveLength(5);
    subject.close();
  });

  it('sends no identity outside a request (schema loads, health checks)', async () => {
    const subject = client();
    await call(subject, undefined, QUERY);
    expect(received[0].token).toBeUndefined();
    subject.close();
  });

  it('gives up at the deadline with SubgraphUnreachableError, and on a closed port', async () => {
    delayMs = 500;
    const subject = client({ timeoutMs: 100 });
    await expect(call(subject, driver, QUERY)).rejects.toBeInstanceOf(SubgraphUnreachableError);
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const deadUrl = `http://127.0.0.1:${(closed.address() as AddressInfo).port}/graphql`;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    await expect(
      forCaller(driver, () => subject.fetch(deadUrl, { method: 'POST', body: QUERY })),
    ).rejects.toBeInstanceOf(SubgraphUnreachableError);
    subject.close();
  });
});
