import { AsyncLocalStorage } from 'node:async_hooks';
import http from 'node:http';
import https from 'node:https';
import type { Fetcher, FetcherRequestInit, FetcherResponse } from '@apollo/utils.fetcher';
import { IDENTITY_HEADER, IdentitySigner, type Identity } from '../platform/identity.js';
import { processMetrics } from '../platform/metrics.js';
import { KEEP_ALIVE } from '../platform/keep-alive.js';

export interface SubgraphClientOptions {
  /** The subgraph's name, for metrics. */
  name: string;
  signingSecret: string;
  /** Whole-call deadline: connect, send, and read the answer. */
  timeoutMs: number;
  /** Keep-alive sockets per subgraph; calls beyond it queue in the Agent. */
  maxSockets: number;
  /** Identical queries in flight at the same time for the same caller share one call. */
  dedupe: boolean;
}

/** A subgraph that could not be reached or did not answer before the deadline (the gateway answers UPSTREAM_UNAVAILABLE). */
export class SubgraphUnreachableError extends Error {
  override readonly name = 'SubgraphUnreachableError';
}

/** The caller a subgraph call is made for, set by the data source around each call (see `forCaller`). */
const callerScope = new AsyncLocalStorage<Identity | undefined>();

/** Runs one data-source call on behalf of `identity`; the client signs every request it sends inside it. */
export const forCaller = <T>(identity: Identity | undefined, call: () => T): T => callerScope.run(identity, call);

/**
 * How the gateway calls its own subgraphs (the fetcher of every SignedDataSource):
 * - each request is signed for itself: the caller's identity, a fresh token id and the hash of the exact body
 *   (subgraphs refuse a token seen before or a body other than the one signed);
 * - node:http with a keep-alive Agent and bounded sockets, not fetch(): fetch's web streams were the largest single
 *   cost in the gateway's profile under load;
 * - identical queries (never mutations) for the same caller in flight at once share one call, and each waiting
 *   request gets its own copy of the answer: 50 drivers opening the same map ask the station subgraph once.
 */
export class SubgraphClient {
  private readonly httpAgent: http.Agent;
  private readonly httpsAgent: https.Agent;
  private readonly inFlight = new Map<string, Promise<BufferedResponse>>();
  private readonly signer: IdentitySigner;

  constructor(private readonly options: SubgraphClientOptions) {
    this.signer = new IdentitySigner('gateway', options.signingSecret);
    const agentOptions = {
      keepAlive: true,
      // An idle pooled socket is closed here before the subgraph would close it (platform/keep-alive.ts).
      timeout: KEEP_ALIVE.clientIdleMs,
      maxSockets: options.maxSockets,
      maxFreeSockets: options.maxSockets,
      scheduling: 'lifo' as const,
    };
    this.httpAgent = new http.Agent(agentOptions);
    this.httpsAgent = new https.Agent(agentOptions);
  }

  readonly fetch: Fetcher = async (url: string, init: FetcherRequestInit = {}) => {
    const body = typeof init.body === 'string' ? init.body : (init.body?.toString('utf8') ?? '');
    const caller = callerScope.getStore();
    if (!this.options.dedupe || !isQuery(body)) return this.send(url, init, body, caller);
    const key = `${url}\u0000${caller ? JSON.stringify([caller.role, caller.sub, caller.operatorId]) : ''}\u0000${body}`;
    let shared = this.inFlight.get(key);
    if (!shared) {
      shared = this.send(url, init, body, caller).finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, shared);
    }
    return (await shared).clone();
  };

  /** Closes idle keep-alive sockets (shutdown). */
  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }

  /** One call on the wire, timed into chargegraph_subgraph_fetch_duration_seconds (shared calls count once). */
  private async send(
    url: string,
    init: FetcherRequestInit,
    body: string,
    caller: Identity | undefined,
  ): Promise<BufferedResponse> {
    const stopTimer = processMetrics().subgraphFetch.startTimer({ subgraph: this.options.name });
    try {
      const response = await this.request(url, init, body, caller);
      stopTimer({ outcome: response.ok ? 'ok' : 'error' });
      return response;
    } catch (error) {
      stopTimer({ outcome: 'error' });
      throw error;
    }
  }

  private request(
    url: string,
    init: FetcherRequestInit,
    body: string,
    caller: Identity | undefined,
  ): Promise<BufferedResponse> {
    const headers: Record<string, string> = { ...init.headers, 'content-length': String(Buffer.byteLength(body)) };
    // Schema loads and health checks run outside any request: they carry no identity and subgraphs refuse them.
    if (caller) headers[IDENTITY_HEADER] = this.signer.sign(caller, body);
    const target = new URL(url);
    const transport =
      target.protocol === 'https:'
        ? { request: https.request, agent: this.httpsAgent }
        : { request: http.request, agent: this.httpAgent };
    return new Promise<BufferedResponse>((resolve, reject) => {
      const request = transport.request(
        target,
        { method: init.method ?? 'POST', headers, agent: transport.agent },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('error', (error) =>
            reject(new SubgraphUnreachableError(`subgraph answer broke off: ${error.message}`)),
          );
          response.on('end', () => {
            clearTimeout(deadline);
            const responseHeaders = new Headers();
            for (const [name, value] of Object.entries(response.headers))
              if (typeof value === 'string') responseHeaders.set(name, value);
            resolve(
              new BufferedResponse(
                url,
                response.statusCode ?? 0,
                response.statusMessage ?? '',
                responseHeaders,
                Buffer.concat(chunks).toString('utf8'),
              ),
            );
          });
        },
      );
      const deadline = setTimeout(
        () =>
          request.destroy(new SubgraphUnreachableError(`subgraph did not answer within ${this.options.timeoutMs} ms`)),
        this.options.timeoutMs,
      );
      request.on('error', (error) => {
        clearTimeout(deadline);
        reject(
          error instanceof SubgraphUnreachableError
            ? error
            : new SubgraphUnreachableError(`subgraph unreachable: ${error.message}`),
        );
      });
      request.end(body);
    });
  }
}

/** The gateway's subgraph operations start with `query`, `{` or `mutation`; only the first two may be shared. */
const isQuery = (body: string): boolean => /^\{"query":"\s*(query\b|\{)/.test(body);

/** A subgraph answer read to the end once; every consumer parses its own copy of the text. */
class BufferedResponse implements FetcherResponse {
  readonly bodyUsed = false;
  readonly redirected = false;

  constructor(
    readonly url: string,
    readonly status: number,
    readonly statusText: string,
    readonly headers: Headers,
    private readonly body: string,
  ) {}

  get ok(): boolean {
    return this.status >= 200 && this.status < 300;
  }

  async text(): Promise<string> {
    return this.body;
  }

  async json(): Promise<unknown> {
    return JSON.parse(this.body);
  }

  async arrayBuffer(): Promise<ArrayBuffer> {
    return new TextEncoder().encode(this.body).buffer as ArrayBuffer;
  }

  clone(): BufferedResponse {
    return new BufferedResponse(this.url, this.status, this.statusText, this.headers, this.body);
  }
}
