/**
 * Load generation (autocannon, programmatic, in this process) and correctness: every target answers every read
 * once before it is measured; the normalised answers must be equal across targets, and under load every response
 * must be byte-equal to that target's own answer (else it counts as an error). The write mix checks each response
 * for GraphQL errors and frees the connectors a run leaves busy.
 */
import autocannon from 'autocannon';
import type { SubgraphName } from '../../platform/config.js';
import { IDENTITY_HEADER, IdentitySigner, Role, type Identity } from '../../platform/identity.js';
import { signDevToken, type TokenClaims } from '../../dev/tokens.js';
import type { ReadQuery, WriteMix } from './queries.js';
import type { WriteSlot } from './seed.js';
import type { Backend, RunningTarget } from './stack.js';

export interface LoadOptions {
  connections: number;
  durationSeconds: number;
}

export interface LoadResult {
  requests: number;
  seconds: number;
  reqPerSec: number;
  p50: number;
  p99: number;
  /** non-2xx + connection errors + timeouts + body mismatches + GraphQL errors */
  errors: number;
  errorDetail: { non2xx: number; connection: number; timeouts: number; mismatches: number; graphql: number };
  /** The first wrong answer (its start), so an error count comes with what it was. */
  firstError?: string;
}

const identityKey = (identity: Identity) =>
  `${identity.role ?? 'ANONYMOUS'}|${identity.sub ?? ''}|${identity.operatorId ?? ''}`;

/** Headers for one request with this body (synchronous: autocannon's setupRequest cannot wait). */
export type HeadersFor = (body: string) => Record<string, string>;

/** Request headers per target kind: a client token for gateways, an identity signed per request for subgraphs. */
export class Credentials {
  private readonly jwts = new Map<string, string>();

  private readonly signer: IdentitySigner;

  constructor(private readonly backend: Backend) {
    this.signer = new IdentitySigner('bench', backend.secrets.signing);
  }

  async headers(target: RunningTarget, identity: Identity): Promise<HeadersFor> {
    const base = { 'content-type': 'application/json' };
    // Straight at a subgraph, every request needs a signature of its own (single-use, bound to the body).
    if (target.kind === 'direct') return (body) => ({ ...base, [IDENTITY_HEADER]: this.signer.sign(identity, body) });
    if (!identity.role) return () => base;
    const key = identityKey(identity);
    let jwt = this.jwts.get(key);
    if (!jwt) {
      jwt = await signDevToken(identity as TokenClaims, this.backend.secrets.jwt);
      this.jwts.set(key, jwt);
    }
    const headers = { ...base, authorization: `Bearer ${jwt}` };
    return () => headers;
  }
}

export function urlFor(target: RunningTarget, subgraph: SubgraphName | undefined, backend: Backend): string {
  if (target.kind === 'gateway') return target.url;
  if (!subgraph) throw new Error('direct: this workload has no single owning subgraph');
  return backend.subgraphUrls[subgraph];
}

/** A read's requests as one target gets them: the bodies, and each request's headers (a token, or a signature). */
export interface PreparedRead {
  url: string;
  bodies: string[];
  headers: HeadersFor[];
}

export async function prepareRead(
  target: RunningTarget,
  query: ReadQuery,
  credentials: Credentials,
  backend: Backend,
): Promise<PreparedRead> {
  const headers: HeadersFor[] = [];
  for (const request of query.requests) headers.push(await credentials.headers(target, request.identity));
  return {
    url: urlFor(target, query.direct, backend),
    bodies: query.requests.map((r) => JSON.stringify({ query: query.query, variables: r.variables })),
    headers,
  };
}

/** About this many requests of each list are verified across targets before the run, and checked under load. */
const SAMPLES_PER_LIST = 25;

/** The verified sample: every Nth request of a list (all of a short list). */
export function sampleIndexes(count: number): number[] {
  const stride = Math.max(1, Math.floor(count / SAMPLES_PER_LIST));
  return Array.from({ length: Math.ceil(count / stride) }, (_, i) => i * stride);
}

/** One request as a client would send it; returns the raw body. */
export async function requestOnce(
  url: string,
  headers: Record<string, string>,
  body: string,
): Promise<{ status: number; text: string }> {
  const response = await fetch(url, { method: 'POST', headers, body, signal: AbortSignal.timeout(15_000) });
  return { status: response.status, text: await response.text() };
}

/**
 * An answer that only says a gateway's pooled subgraph socket hung up: the subgraph closed it as idle (Node's
 * 5 s keep-alive timeout) just as the gateway reused it — the request never reached the subgraph. The checks before
 * the run ask once more (and say so); under load it counts as an error.
 */
export const isHangUp = (text: string) => /socket hang up|ECONNRESET|"UPSTREAM_UNAVAILABLE"/.test(text);

/** Values that differ between two runs of the same writes (ids, times): replaced, so answers compare. */
export function normalise(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(normalise);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((key) => [key, normalise((value as Record<string, unknown>)[key])]),
    );
  }
  if (typeof value === 'string') {
    if (/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value)) return '<uuid>';
    if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/.test(value)) return '<time>';
  }
  return value;
}

/** The canonical form of a GraphQL response: data and error codes, keys sorted (bodies may order keys differently). */
export function canonical(text: string, { normaliseIds = false } = {}): string {
  const body = JSON.parse(text) as { data?: unknown; errors?: Array<{ extensions?: { code?: unknown } }> };
  const shape = { data: body.data ?? null, errors: body.errors?.map((e) => e.extensions?.code ?? 'error') ?? [] };
  return JSON.stringify(normaliseIds ? normalise(shape) : sortKeys(shape));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object')
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((key) => [key, sortKeys((value as Record<string, unknown>)[key])]),
    );
  return value;
}

function resultOf(result: autocannon.Result, graphqlErrors = 0, mismatches = result.mismatches): LoadResult {
  const connection = result.errors - result.timeouts;
  const errors = result.non2xx + result.errors + mismatches + graphqlErrors;
  return {
    requests: result.requests.total,
    seconds: result.duration,
    reqPerSec: Math.round((result.requests.total / result.duration) * 10) / 10,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors,
    errorDetail: { non2xx: result.non2xx, connection, timeouts: result.timeouts, mismatches, graphql: graphqlErrors },
  };
}

interface ReadContext {
  /** The next request of the list this connection sends, and the one it is waiting for. */
  next?: number;
  current?: number;
}

/**
 * A read under load: every connection goes through the request list in turn, starting at its own offset (spread
 * evenly over the list, so connections do not send the same request at the same moment). Sampled responses must
 * equal that target's verified answer byte for byte (checked here: autocannon's own check needs fixed bodies).
 */
export async function runRead(
  prepared: PreparedRead,
  expected: Map<number, string>,
  options: LoadOptions,
): Promise<LoadResult & { checked: number }> {
  const { url, bodies, headers } = prepared;
  let mismatches = 0;
  let graphqlErrors = 0;
  let firstError: string | undefined;
  let checked = 0;
  let connections = 0;
  const spacing = Math.max(1, Math.floor(bodies.length / options.connections));
  const result = await autocannon({
    url,
    requests: [
      {
        method: 'POST',
        path: new URL(url).pathname,
        setupRequest: (request: autocannon.Request, raw: object) => {
          const context = raw as ReadContext;
          context.next ??= (connections++ * spacing) % bodies.length;
          const index = context.next;
          context.current = index;
          context.next = (index + 1) % bodies.length;
          request.body = bodies[index];
          request.headers = headers[index](bodies[index]);
          return request;
        },
        onResponse: (status: number, answer: string, raw: object) => {
          if (status !== 200) return; // counted by autocannon
          const want = expected.get((raw as ReadContext).current ?? -1);
          if (want === undefined) {
            // Not in the verified sample: at least no GraphQL error (none of these reads' data holds that key).
            if (answer.includes('"errors":')) {
              graphqlErrors++;
              firstError ??= answer.slice(0, 300);
            }
            return;
          }
          checked++;
          if (answer !== want) {
            mismatches++;
            firstError ??= difference(answer, want);
          }
        },
      },
    ],
    connections: options.connections,
    duration: options.durationSeconds,
    timeout: 10,
  });
  return { ...resultOf(result, graphqlErrors, mismatches), firstError, checked };
}

/** Where an answer first differs from the verified one: both, from a little before that point. */
function difference(answer: string, want: string): string {
  let at = 0;
  while (at < answer.length && answer[at] === want[at]) at++;
  const from = Math.max(0, at - 80);
  return `at byte ${at}: got …${answer.slice(from, at + 120)}… verified …${want.slice(from, at + 120)}…`;
}

interface ChainContext {
  slot?: number;
  sessionId?: string;
}

/** Identities the write mix uses, signed (or issued) before a run: setupRequest is synchronous. */
async function writeHeaders(
  credentials: Credentials,
  target: RunningTarget,
  mix: WriteMix,
  slots: WriteSlot[],
): Promise<Map<string, HeadersFor>> {
  const headers = new Map<string, HeadersFor>();
  for (const slot of slots) {
    for (const step of mix.steps) {
      const identity = step.identity(slot);
      const key = identityKey(identity);
      if (!headers.has(key)) headers.set(key, await credentials.headers(target, identity));
    }
  }
  return headers;
}

/**
 * The write mix under load. Each connection takes a free (driver, connector) pair, runs start → meter → stop →
 * charge, then gives the pair back; a chain cut by the end of the run is stopped afterwards (freeConnectors).
 */
export async function runWrite(
  url: string,
  credentials: Credentials,
  target: RunningTarget,
  mix: WriteMix,
  slots: WriteSlot[],
  options: LoadOptions,
): Promise<LoadResult> {
  if (slots.length <= options.connections)
    throw new Error(
      `the write mix needs more (driver, connector) pairs (${slots.length}) than connections (${options.connections})`,
    );
  const headers = await writeHeaders(credentials, target, mix, slots);
  const free = slots.map((_, i) => i);
  let graphqlErrors = 0;
  let firstError: string | undefined;
  const requests: autocannon.Request[] = mix.steps.map((step, index) => ({
    method: 'POST',
    path: new URL(url).pathname,
    setupRequest: (request: autocannon.Request, raw: object) => {
      const context = raw as ChainContext;
      if (index === 0) context.slot = free.shift();
      const slot = slots[context.slot ?? 0];
      request.body = JSON.stringify({
        query: step.query,
        variables: step.variables(slot, context.sessionId ?? '00000000-0000-7000-8000-000000000000'),
      });
      request.headers = headers.get(identityKey(step.identity(slot)))?.(request.body);
      return request;
    },
    onResponse: (status: number, body: string, raw: object) => {
      const context = raw as ChainContext;
      let data: Record<string, unknown> | undefined;
      try {
        const parsed = JSON.parse(body) as { data?: Record<string, unknown>; errors?: unknown[] };
        if (status === 200 && !parsed.errors?.length && parsed.data) data = parsed.data;
      } catch {
        // not JSON: counted below
      }
      if (!data && status === 200) {
        graphqlErrors++; // non-2xx is counted by autocannon
        firstError ??= `${step.name}: ${body.slice(0, 300)}`;
      }
      if (data && step.sessionIdFrom) context.sessionId = step.sessionIdFrom(data);
      // Give the pair back when the chain is over, or when it broke at its start (nothing is left busy); a chain
      // that broke in between keeps its pair until freeConnectors after the run.
      const last = index === mix.steps.length - 1;
      if (context.slot !== undefined && (last || (index === 0 && !data))) {
        free.push(context.slot);
        context.slot = undefined;
      }
    },
  }));
  const result = await autocannon({
    url,
    connections: options.connections,
    duration: options.durationSeconds,
    requests,
    timeout: 10,
  });
  return { ...resultOf(result, graphqlErrors), firstError };
}

/**
 * Stops every ACTIVE session (chains the end of a run cut off), straight at the session subgraph as a platform
 * admin, until two passes a second apart find none: a start sent before the end may land well after it on a busy
 * machine, and a connector left busy would change the catalogue's and the lookups' answers.
 */
export async function freeConnectors(backend: Backend, { timeoutMs = 60_000 } = {}): Promise<number> {
  const admin: Identity = { role: Role.PLATFORM_ADMIN, sub: 'bench' };
  const signer = new IdentitySigner('bench', backend.secrets.signing);
  const send = (body: string) =>
    requestOnce(
      backend.subgraphUrls.session,
      { 'content-type': 'application/json', [IDENTITY_HEADER]: signer.sign(admin, body) },
      body,
    );
  let stopped = 0;
  let quiet = 0;
  const deadline = Date.now() + timeoutMs;
  while (quiet < 2 && Date.now() < deadline) {
    const { text } = await send(
      JSON.stringify({
        query: '{ chargingSessions(first: 100, filter: { status: ACTIVE }) { edges { node { id driverId } } } }',
      }),
    );
    const parsed = JSON.parse(text) as {
      data?: { chargingSessions: { edges: Array<{ node: { id: string; driverId: string } }> } };
      errors?: unknown[];
    };
    if (!parsed.data) {
      // A busy shared PostgreSQL can refuse a connection for a moment: asked again until the deadline.
      if (Date.now() > deadline - 1000) throw new Error(`freeConnectors: ${text.slice(0, 300)}`);
      await new Promise((resolve) => setTimeout(resolve, 1000));
      continue;
    }
    const sessions = parsed.data.chargingSessions.edges.map((e) => e.node);
    quiet = sessions.length ? 0 : quiet + 1;
    // Ten at a time: on a busy machine fifty stops one after the other outlast the deadline.
    for (let i = 0; i < sessions.length; i += 10) await Promise.all(sessions.slice(i, i + 10).map(stopOne));
    stopped += sessions.length;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  return stopped;

  async function stopOne({ id, driverId }: { id: string; driverId: string }): Promise<void> {
    // Only a driver may stop a session (the mutation is @Authorized(DRIVER)): as its own driver.
    const stop = JSON.stringify({
      query: 'mutation ($id: ID!) { stopChargingSession(id: $id) { id } }',
      variables: { id },
    });
    const { text: answer } = await requestOnce(
      backend.subgraphUrls.session,
      {
        'content-type': 'application/json',
        [IDENTITY_HEADER]: signer.sign({ role: Role.DRIVER, sub: driverId }, stop),
      },
      stop,
    );
    if (answer.includes('"errors"') && !answer.includes('"CONFLICT"'))
      throw new Error(`freeConnectors: stopping ${id}: ${answer.slice(0, 300)}`);
  }
}

/**
 * Waits until the station subgraph shows every connector AVAILABLE again, as at the checks before the run: it
 * learns of stopped sessions from the session subgraph's events, later on a busy machine. Returns the ms waited.
 */
export async function waitConnectorsAvailable(backend: Backend, timeoutMs = 60_000): Promise<number> {
  const signer = new IdentitySigner('bench', backend.secrets.signing);
  const body = JSON.stringify({ query: '{ stations(first: 100) { edges { node { connectors { status } } } } }' });
  const started = Date.now();
  for (;;) {
    const { text } = await requestOnce(
      backend.subgraphUrls.station,
      { 'content-type': 'application/json', [IDENTITY_HEADER]: signer.sign({}, body) },
      body,
    );
    const busy = (text.match(/"status":"(?!AVAILABLE")/g) ?? []).length;
    if (!busy && text.includes('"status":"AVAILABLE"')) return Date.now() - started;
    if (Date.now() - started > timeoutMs)
      throw new Error(`${busy} connectors still busy ${timeoutMs / 1000} s after the write run`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** One chain, step by step, for the correctness check: the normalised answers of every step. */
export async function writeChainOnce(
  url: string,
  credentials: Credentials,
  target: RunningTarget,
  mix: WriteMix,
  slot: WriteSlot,
  retried: string[] = [],
): Promise<string[]> {
  const answers: string[] = [];
  let sessionId = '';
  for (const step of mix.steps) {
    const body = JSON.stringify({ query: step.query, variables: step.variables(slot, sessionId) });
    const headersFor = await credentials.headers(target, step.identity(slot));
    let { status, text } = await requestOnce(url, headersFor(body), body);
    if (isHangUp(text)) {
      retried.push(`${target.name} write-mix ${step.name}`);
      ({ status, text } = await requestOnce(url, headersFor(body), body));
    }
    if (status !== 200) throw new Error(`${target.name} ${step.name}: HTTP ${status}: ${text.slice(0, 300)}`);
    const answer = JSON.parse(text) as { data?: Record<string, unknown>; errors?: unknown[] };
    if (answer.errors?.length || !answer.data) throw new Error(`${target.name} ${step.name}: ${text.slice(0, 300)}`);
    if (step.sessionIdFrom) sessionId = step.sessionIdFrom(answer.data);
    answers.push(canonical(text, { normaliseIds: true }));
  }
  return answers;
}
