/**
 * The fault suite's platform: real processes (`node --import tsx subgraphs/<name>/main.ts`, `gateway/main.ts`) on
 * free loopback ports, an embedded PostgreSQL of the suite's own (so it can be restarted), the Stripe emulator
 * in-process behind a small proxy that can hold or delay the provider's answers, load generators, and the money
 * audit (double charges and lost payments, from the provider's and our database's state).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, mkdirSync, openSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import Stripe from 'stripe';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../../dev/embedded-postgres.js';
import { startStripeEmulator, type StripeEmulator } from '../../dev/stripe-emulator/index.js';
import { signDevToken, type TokenClaims } from '../../dev/tokens.js';
import { SUBGRAPH_NAMES, type SubgraphName } from '../../platform/config.js';
import { Role } from '../../platform/identity.js';
import { backdateSession } from '../support/backdate.js';
import { freePort } from '../support/ports.js';

export const root = path.resolve(fileURLToPath(new URL('../..', import.meta.url)));
export const artifacts = path.join(root, 'test-artifacts', 'faults');
const JWT_SECRET = 'faults-jwt-secret-0123456789-0123456789';

// ---- HTTP without connection reuse: every request is its own connection, so "started" is unambiguous -------------

export interface HttpResult {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export function post(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
  timeoutMs = 15_000,
): Promise<HttpResult> {
  return request('POST', url, JSON.stringify(body), { 'content-type': 'application/json', ...headers }, timeoutMs);
}

export function request(
  method: string,
  url: string,
  body?: string,
  headers: Record<string, string> = {},
  timeoutMs = 15_000,
): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      {
        method,
        headers: { ...headers, ...(body !== undefined ? { 'content-length': String(Buffer.byteLength(body)) } : {}) },
        agent: false,
        timeout: timeoutMs,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
        res.on('aborted', () => reject(Object.assign(new Error('response aborted'), { code: 'ECONNRESET' })));
      },
    );
    req.on('timeout', () => req.destroy(Object.assign(new Error('client timeout'), { code: 'ETIMEDOUT' })));
    req.on('error', reject);
    req.end(body);
  });
}

// ---- processes -------------------------------------------------------------------------------------------------

export class Proc {
  child?: ChildProcess;
  exit?: Promise<number | null>;
  readonly logFile: string;

  constructor(
    readonly name: string,
    private readonly entry: string,
    private readonly env: () => NodeJS.ProcessEnv,
    readonly readyUrl: string,
  ) {
    this.logFile = path.join(artifacts, `${name}.log`);
  }

  async start(extraEnv: NodeJS.ProcessEnv = {}, timeoutMs = 40_000): Promise<number> {
    const started = performance.now();
    const fd = openSync(this.logFile, 'a');
    const child = spawn(process.execPath, ['--import', 'tsx', this.entry], {
      cwd: root,
      env: { ...this.env(), ...extraEnv },
      stdio: ['ignore', fd, fd],
    });
    closeSync(fd);
    this.child = child;
    this.exit = once(child, 'exit').then(([code]) => code as number | null);
    await waitFor(
      `${this.name} ready`,
      async () => (await request('GET', this.readyUrl, undefined, {}, 1000).catch(() => undefined))?.status === 200,
      timeoutMs,
      () => child.exitCode !== null,
    );
    return performance.now() - started;
  }

  kill(signal: NodeJS.Signals): void {
    if (this.child?.pid && this.child.exitCode === null) this.child.kill(signal);
  }

  async stop(): Promise<void> {
    if (!this.child || this.child.exitCode !== null) return;
    this.kill('SIGTERM');
    const timer = setTimeout(() => this.kill('SIGKILL'), 15_000);
    await this.exit;
    clearTimeout(timer);
  }

  log(): string {
    return readFileSync(this.logFile, 'utf8');
  }
}

export async function waitFor(
  what: string,
  check: () => Promise<boolean> | boolean,
  timeoutMs: number,
  gaveUp: () => boolean = () => false,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    if (gaveUp()) throw new Error(`${what}: gave up (process exited)`);
    await sleep(50);
  }
  throw new Error(`${what}: not within ${timeoutMs} ms`);
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// ---- a proxy in front of the Stripe emulator that can hold or delay answers ------------------------------------

export type ProxyRule = {
  method: string;
  path: RegExp;
  action: 'hold' | 'delay';
  delayMs?: number;
  times: number;
  onMatch?: () => void;
};

/** Forwards everything to the emulator; a matching request is performed there, then its answer is held or delayed. */
export class StripeProxy {
  private server?: http.Server;
  private readonly sockets = new Set<import('node:net').Socket>();
  private rules: ProxyRule[] = [];
  port = 0;
  held = 0;

  constructor(private readonly upstream: { host: string; port: number }) {}

  async start(port = 0): Promise<void> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const forward = http.request(
          {
            host: this.upstream.host,
            port: this.upstream.port,
            method: req.method,
            path: req.url,
            headers: req.headers,
            agent: false,
          },
          (up) => {
            const body: Buffer[] = [];
            up.on('data', (c: Buffer) => body.push(c));
            up.on('end', () => {
              const rule = this.rules.find((r) => r.times > 0 && r.method === req.method && r.path.test(req.url ?? ''));
              const send = () => {
                if (res.destroyed) return;
                res.writeHead(up.statusCode ?? 502, up.headers);
                res.end(Buffer.concat(body));
              };
              if (!rule) return send();
              rule.times--;
              rule.onMatch?.();
              if (rule.action === 'hold')
                this.held++; // performed at the provider; the answer never arrives
              else setTimeout(send, rule.delayMs ?? 0);
            });
          },
        );
        forward.on('error', () => res.destroy());
        forward.end(Buffer.concat(chunks));
      });
    });
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', resolve));
    this.port = (this.server.address() as import('node:net').AddressInfo).port;
  }

  arm(rule: ProxyRule): void {
    this.rules.push(rule);
  }

  disarm(): void {
    this.rules = [];
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise((resolve) => this.server?.close(resolve));
  }
}

// ---- the platform ------------------------------------------------------------------------------------------------

/** A span as an OTLP/JSON export carries it. */
export interface ExportedSpan {
  service: string;
  name: string;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
}

/** An OTLP/HTTP trace receiver on loopback: what the processes export when OTEL_EXPORTER_OTLP_ENDPOINT is set. */
export class TraceCollector {
  readonly spans: ExportedSpan[] = [];
  private server?: http.Server;
  port = 0;

  async start(): Promise<void> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        if (req.url === '/v1/traces') {
          const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
            resourceSpans: Array<{
              resource: { attributes: Array<{ key: string; value: { stringValue?: string } }> };
              scopeSpans: Array<{ spans: Array<Omit<ExportedSpan, 'service'>> }>;
            }>;
          };
          for (const resource of body.resourceSpans) {
            const service =
              resource.resource.attributes.find((a) => a.key === 'service.name')?.value.stringValue ?? '?';
            for (const scope of resource.scopeSpans)
              for (const span of scope.spans)
                this.spans.push({
                  service,
                  name: span.name,
                  traceId: span.traceId,
                  spanId: span.spanId,
                  parentSpanId: span.parentSpanId || undefined,
                });
          }
        }
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as import('node:net').AddressInfo).port;
  }

  async close(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((resolve) => this.server?.close(resolve));
  }
}

export interface Platform {
  traces: TraceCollector;
  database: EmbeddedDatabase;
  databaseUrl: string;
  pgDir: string;
  pgPort: number;
  emulator: StripeEmulator;
  proxy: StripeProxy;
  stripe: Stripe;
  subgraphs: Record<SubgraphName, Proc>;
  gateway: Proc;
  gatewayUrl: string;
  ports: Record<SubgraphName | 'gateway', number>;
  prefix: string;
  paymentDb(): pg.Client;
  /** The session subgraph's database (tests backdate sessions there: backdate.ts). */
  sessionDatabaseUrl: string;
  restartPostgres(downMs: number): Promise<void>;
  close(): Promise<void>;
}

export async function startPlatform(): Promise<Platform> {
  mkdirSync(artifacts, { recursive: true });
  const pgPort = await freePort();
  const pgDir = path.join(root, '.data', `faults-postgres-${process.pid}`);
  let database = await startEmbeddedPostgres(pgDir, pgPort);
  const emulator = await startStripeEmulator({ port: 0 });
  const proxy = new StripeProxy({ host: emulator.host, port: emulator.port });
  await proxy.start();
  const traces = new TraceCollector();
  await traces.start();
  const ports = Object.fromEntries(
    await Promise.all(['gateway', ...SUBGRAPH_NAMES].map(async (n) => [n, await freePort()])),
  ) as Platform['ports'];
  const prefix = `cgf${process.pid}`;
  const urls = Object.fromEntries(
    SUBGRAPH_NAMES.map((n) => [`${n.toUpperCase()}_URL`, `http://127.0.0.1:${ports[n]}/graphql`]),
  );
  const baseEnv = (): NodeJS.ProcessEnv => ({
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    NODE_ENV: 'test',
    LOG_LEVEL: 'info',
    DATABASE_URL: database.url,
    DATABASE_PREFIX: prefix,
    JWT_SECRET,
    ...urls,
    ...Object.fromEntries(SUBGRAPH_NAMES.map((n) => [`${n.toUpperCase()}_PORT`, String(ports[n])])),
    GATEWAY_PORT: String(ports.gateway),
    GATEWAY_HOST: '127.0.0.1',
    SUBGRAPH_TIMEOUT_MS: '5000',
    SHUTDOWN_DELAY_MS: '1000',
    SHUTDOWN_TIMEOUT_MS: '8000',
    DB_POOL_MAX: '5',
    STRIPE_SECRET_KEY: 'sk_test_emulator',
    STRIPE_API_HOST: '127.0.0.1',
    STRIPE_API_PORT: String(proxy.port),
    STRIPE_API_PROTOCOL: 'http',
    STRIPE_TIMEOUT_MS: '800',
    STRIPE_MAX_NETWORK_RETRIES: '2',
    SWEEPER_CRON: 'off',
    OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${traces.port}`,
  });
  // The session-settle job charges an ended session by itself; here its worker polls rarely, so the charges under
  // fault are the scenarios' own chargeSession calls (the same idempotent path the job takes).
  const envOf = (n: SubgraphName) =>
    n === 'session' ? () => ({ ...baseEnv(), SESSION_JOB_POLLING_SECONDS: '60' }) : baseEnv;
  const subgraphs = Object.fromEntries(
    SUBGRAPH_NAMES.map((n) => [
      n,
      new Proc(n, `subgraphs/${n}/main.ts`, envOf(n), `http://127.0.0.1:${ports[n]}/health/ready`),
    ]),
  ) as Record<SubgraphName, Proc>;
  const gateway = new Proc('gateway', 'gateway/main.ts', baseEnv, `http://127.0.0.1:${ports.gateway}/health/ready`);
  // Migrations first, one subgraph at a time (as the Kubernetes Jobs do), then everything at once.
  await Promise.all(SUBGRAPH_NAMES.map((n) => subgraphs[n].start()));
  await gateway.start();
  emulator.setWebhookUrl(`http://127.0.0.1:${ports.payment}/webhooks/stripe`);
  const dbUrl = (name: SubgraphName) => {
    const url = new URL(database.url);
    url.pathname = `/${prefix}_${name}`;
    return url.toString();
  };
  return {
    get database() {
      return database;
    },
    get databaseUrl() {
      return database.url;
    },
    traces,
    pgDir,
    pgPort,
    emulator,
    proxy,
    stripe: new Stripe('sk_test_emulator', { ...emulator.clientOptions, maxNetworkRetries: 0 }),
    subgraphs,
    gateway,
    gatewayUrl: `http://127.0.0.1:${ports.gateway}/graphql`,
    ports,
    prefix,
    paymentDb: () => new pg.Client({ connectionString: dbUrl('payment') }),
    sessionDatabaseUrl: dbUrl('session'),
    async restartPostgres(downMs: number) {
      await database.stop();
      await sleep(downMs);
      database = await startEmbeddedPostgres(pgDir, pgPort);
    },
    async close() {
      emulator.setWebhookUrl(undefined);
      await gateway.stop();
      await Promise.all(SUBGRAPH_NAMES.map((n) => subgraphs[n].stop()));
      await proxy.close();
      await traces.close();
      await emulator.close();
      await database.stop();
      rmSync(pgDir, { recursive: true, force: true });
    },
  } as Platform;
}

// ---- GraphQL through the gateway ----------------------------------------------------------------------------------

export interface GraphQLBody<T> {
  data?: T | null;
  errors?: Array<{ message: string; path?: Array<string | number>; extensions?: { code?: string } }>;
}

export const admin: TokenClaims = { role: Role.PLATFORM_ADMIN, sub: 'faults-admin' };

export async function gql<T>(
  p: Platform,
  query: string,
  variables: Record<string, unknown> = {},
  who?: TokenClaims,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: GraphQLBody<T>; headers: http.IncomingHttpHeaders }> {
  const auth: Record<string, string> = who ? { authorization: `Bearer ${await signDevToken(who, JWT_SECRET)}` } : {};
  const result = await post(p.gatewayUrl, { query, variables }, { ...auth, ...headers });
  return { status: result.status, body: JSON.parse(result.body) as GraphQLBody<T>, headers: result.headers };
}

export async function ok<T>(promise: Promise<{ body: GraphQLBody<T> }>): Promise<T> {
  const { body } = await promise;
  if (body.errors?.length || !body.data) throw new Error(`GraphQL errors: ${JSON.stringify(body.errors)}`);
  return body.data;
}

export interface Operator {
  id: string;
  account: string;
  stationId: string;
  connectorIds: string[];
  /** Post-paid: its sessions start without a hold and are charged off-session at the end; else held at start. */
  postPaid: boolean;
}

/**
 * An operator with a tariff (hold 2000 minor units, placed at start) and a station with many connectors, onboarded
 * at the provider; post-paid (no hold, an off-session charge at the end) when told.
 */
export async function createOperator(
  p: Platform,
  name: string,
  connectors = 20,
  options: { postPaid?: boolean } = {},
): Promise<Operator> {
  const { createOperator: operator } = await ok(
    gql<{ createOperator: { id: string } }>(
      p,
      `mutation ($input: CreateOperatorInput!) { createOperator(input: $input) { id } }`,
      {
        input: {
          name,
          country: 'DE',
          defaultCurrency: 'EUR',
          contactEmail: `ops@${name.toLowerCase().replaceAll(/\W/g, '')}.example`,
        },
      },
      admin,
    ),
  );
  if (options.postPaid)
    await ok(
      gql(
        p,
        `mutation ($id: ID!) { updateOperator(id: $id, input: { postPaid: true }) { id postPaid } }`,
        { id: operator.id },
        admin,
      ),
    );
  const { createTariff: tariff } = await ok(
    gql<{ createTariff: { id: string } }>(
      p,
      `mutation ($input: CreateTariffInput!) { createTariff(input: $input) { id } }`,
      {
        input: {
          operatorId: operator.id,
          name: 'standard',
          currency: 'EUR',
          energyPricePerKwh: '0.40',
          timePricePerHour: '0',
          sessionFee: 0,
          taxRateBasisPoints: 0,
          preAuthorizationAmount: 2000,
        },
      },
      admin,
    ),
  );
  const { createStation: station } = await ok(
    gql<{ createStation: { id: string; connectors: Array<{ id: string }> } }>(
      p,
      `mutation ($input: CreateStationInput!) { createStation(input: $input) { id connectors { id } } }`,
      {
        input: {
          operatorId: operator.id,
          name: `${name} Central`,
          address: { street: '1 Main Street', city: 'City', postalCode: '10000', country: 'DE' },
          location: { latitude: 48.1, longitude: 11.5 },
          timezone: 'Europe/Berlin',
          tariffId: tariff.id,
          connectors: Array.from({ length: connectors }, () => ({ standard: 'CCS2', powerKw: 150 })),
        },
      },
      admin,
    ),
  );
  const adminOf: TokenClaims = {
    role: Role.OPERATOR_ADMIN,
    sub: `admin-${operator.id.slice(-6)}`,
    operatorId: operator.id,
  };
  await ok(
    gql(p, `mutation ($id: ID!) { startOperatorOnboarding(operatorId: $id) { url } }`, { id: operator.id }, adminOf),
  );
  const db = p.paymentDb();
  await db.connect();
  const { rows } = await db.query<{ provider_account_id: string }>(
    'select provider_account_id from operator_payment_account where operator_id = $1',
    [operator.id],
  );
  await db.end();
  const account = rows[0].provider_account_id;
  const onboarded = await request('POST', `${p.emulator.url}/_emulator/accounts/${account}/onboard`);
  if (onboarded.status !== 200) throw new Error(`onboarding failed: ${onboarded.body}`);
  await p.emulator.flushWebhooks();
  await waitFor(
    'operator payable',
    async () => {
      const db2 = p.paymentDb();
      await db2.connect();
      const { rows: r } = await db2.query<{ charges_enabled: boolean }>(
        'select charges_enabled from operator_payment_account where operator_id = $1',
        [operator.id],
      );
      await db2.end();
      return r[0]?.charges_enabled === true;
    },
    10_000,
  );
  return {
    id: operator.id,
    account,
    stationId: station.id,
    connectorIds: station.connectors.map((c) => c.id),
    postPaid: options.postPaid ?? false,
  };
}

let drivers = 0;
export const newDriver = (): TokenClaims => ({ role: Role.DRIVER, sub: `faults-driver-${++drivers}-${process.pid}` });

export async function saveCard(p: Platform, driver: TokenClaims): Promise<string> {
  const { savePaymentMethod } = await ok(
    gql<{ savePaymentMethod: { id: string } }>(
      p,
      `mutation { savePaymentMethod(paymentMethodId: "pm_card_visa") { id } }`,
      {},
      driver,
    ),
  );
  return savePaymentMethod.id;
}

/**
 * A driver with a card and a COMPLETED session on `connector` of `operator`: held at start (the tariff's
 * pre-authorisation on the driver's card) unless the operator is post-paid; returns the session's total.
 */
export async function completedSession(
  p: Platform,
  operator: Operator,
  connector: number,
): Promise<{ driver: TokenClaims; sessionId: string; total: number }> {
  const driver = newDriver();
  await saveCard(p, driver);
  const { startChargingSession } = await ok(
    gql<{ startChargingSession: { id: string; status: string } }>(
      p,
      `mutation ($input: StartChargingSessionInput!) { startChargingSession(input: $input) { id status } }`,
      { input: { stationId: operator.stationId, connectorId: operator.connectorIds[connector] } },
      driver,
    ),
  );
  const sessionId = startChargingSession.id;
  // A manual station: ACTIVE right after the hold (or at once, post-paid).
  const { chargingSession } = await ok(
    gql<{
      chargingSession: { status: string; payment: { status: string; authorizedAmount: { amount: number } } | null };
    }>(
      p,
      `query ($id: ID!) { chargingSession(id: $id) { status payment { status authorizedAmount { amount } } } }`,
      { id: sessionId },
      driver,
    ),
  );
  if (chargingSession.status !== 'ACTIVE') throw new Error(`session ${sessionId} is ${chargingSession.status}`);
  const held = chargingSession.payment;
  if (operator.postPaid ? held !== null : held?.status !== 'AUTHORIZED' || held.authorizedAmount.amount !== 2000)
    throw new Error(`session ${sessionId}: unexpected payment at start ${JSON.stringify(held)}`);
  const adminOf: TokenClaims = {
    role: Role.OPERATOR_ADMIN,
    sub: `admin-${operator.id.slice(-6)}`,
    operatorId: operator.id,
  };
  const energyWh = 3000 + connector * 100;
  await backdateSession(p.sessionDatabaseUrl, sessionId, energyWh);
  await ok(
    gql(
      p,
      `mutation ($input: RecordMeterValueInput!) { recordMeterValue(input: $input) { id } }`,
      { input: { sessionId, energyWh, measuredAt: new Date().toISOString() } },
      adminOf,
    ),
  );
  const { stopChargingSession } = await ok(
    gql<{ stopChargingSession: { cost: { total: { amount: number } } } }>(
      p,
      `mutation ($id: ID!) { stopChargingSession(id: $id) { cost { total { amount } } } }`,
      { id: sessionId },
      driver,
    ),
  );
  // Capture = min(total, authorised): totals here stay below the 2000 hold, so the charge is the whole total.
  const total = stopChargingSession.cost.total.amount;
  if (!operator.postPaid && total > 2000) throw new Error(`session ${sessionId}: total ${total} above the hold`);
  return { driver, sessionId, total };
}

export const CHARGE = `mutation ($id: ID!) { chargeSession(sessionId: $id) { id status amount { amount } } }`;

// ---- the money audit -------------------------------------------------------------------------------------------

export interface Audit {
  sessions: number;
  /** Sessions with more than one successful charge at the provider. */
  doubleCharges: number;
  /** Sessions charged at the provider without a SUCCEEDED payment of that intent and amount in our database. */
  lostPayments: number;
  /** Sessions our database calls paid without a matching successful charge at the provider. */
  phantomPayments: number;
  details: string[];
}

/** Compares the provider's successful charges with our payments, per session, for the given sessions. */
export async function auditMoney(p: Platform, accounts: string[], sessionIds: string[]): Promise<Audit> {
  const charged = new Map<string, Array<{ id: string; amount: number }>>();
  for (const account of accounts) {
    for await (const intent of p.stripe.paymentIntents.list({ limit: 100 }, { stripeAccount: account })) {
      const sessionId = intent.metadata?.sessionId;
      if (!sessionId || intent.status !== 'succeeded') continue;
      charged.set(sessionId, [...(charged.get(sessionId) ?? []), { id: intent.id, amount: intent.amount_received }]);
    }
  }
  const db = p.paymentDb();
  await db.connect();
  const { rows } = await db.query<{
    session_id: string;
    status: string;
    payment_intent_id: string | null;
    amount: number | null;
  }>('select session_id, status, payment_intent_id, amount from payment where session_id = any($1::uuid[])', [
    sessionIds,
  ]);
  await db.end();
  const ours = new Map(rows.map((r) => [r.session_id, r]));
  const audit: Audit = {
    sessions: sessionIds.length,
    doubleCharges: 0,
    lostPayments: 0,
    phantomPayments: 0,
    details: [],
  };
  for (const sessionId of sessionIds) {
    const atProvider = charged.get(sessionId) ?? [];
    const row = ours.get(sessionId);
    if (atProvider.length > 1) {
      audit.doubleCharges++;
      audit.details.push(`${sessionId}: charged ${atProvider.length} times at the provider`);
    }
    const [charge] = atProvider;
    const paid = row?.status === 'SUCCEEDED' && (row.amount ?? 0) > 0;
    if (charge && !(paid && row?.payment_intent_id === charge.id && row.amount === charge.amount)) {
      audit.lostPayments++;
      audit.details.push(
        `${sessionId}: provider charged ${charge.amount} (${charge.id}), our row is ${JSON.stringify(row)}`,
      );
    }
    if (paid && !charge) {
      audit.phantomPayments++;
      audit.details.push(`${sessionId}: paid in our database, no successful charge at the provider`);
    }
  }
  return audit;
}

// ---- load ----------------------------------------------------------------------------------------------------------

export type Outcome = 'ok' | 'partial' | 'clean-error' | 'unclean' | 'refused';

export interface LoadReport {
  requests: number;
  counts: Record<Outcome, number>;
  unclean: string[];
  /** When the first fully successful answer came after `markRecovery()` was called. */
  recoveredAt?: number;
}

/** Runs `send` from `concurrency` loops until `stop()` resolves; classifies every answer. */
export function startLoad(
  concurrency: number,
  send: () => Promise<Outcome | { outcome: Outcome; detail: string }>,
  shouldSend: () => boolean = () => true,
) {
  const report: LoadReport = {
    requests: 0,
    counts: { ok: 0, partial: 0, 'clean-error': 0, unclean: 0, refused: 0 },
    unclean: [],
  };
  let running = true;
  let recoveryFrom: number | undefined;
  const loops = Array.from({ length: concurrency }, async () => {
    while (running) {
      if (!shouldSend()) {
        await sleep(20);
        continue;
      }
      report.requests++;
      let result: Outcome | { outcome: Outcome; detail: string };
      try {
        result = await send();
      } catch (error) {
        const code = (error as { code?: string }).code;
        result =
          code === 'ECONNREFUSED'
            ? 'refused'
            : { outcome: 'unclean', detail: `${code ?? ''} ${(error as Error).message}` };
      }
      const outcome = typeof result === 'string' ? result : result.outcome;
      report.counts[outcome]++;
      if (outcome === 'unclean' && typeof result !== 'string' && report.unclean.length < 10)
        report.unclean.push(result.detail);
      if (outcome === 'ok' && recoveryFrom !== undefined && report.recoveredAt === undefined)
        report.recoveredAt = performance.now();
      await sleep(5);
    }
  });
  return {
    report,
    /** Recovery is measured from now to the next fully successful answer. */
    markRecovery() {
      recoveryFrom = performance.now();
      report.recoveredAt = undefined;
      return recoveryFrom;
    },
    async stop(): Promise<LoadReport> {
      running = false;
      await Promise.all(loops);
      return report;
    },
  };
}

/** A GraphQL error that is clean: a stable code, a message for people, nothing internal. */
export function isCleanError(error: { message: string; extensions?: { code?: string } }): boolean {
  const code = error.extensions?.code;
  return (
    typeof code === 'string' &&
    /^[A-Z_]+$/.test(code) &&
    !/ECONN|stack|at .*\(|127\.0\.0\.1|knex|pg_|sql|Error:/i.test(error.message) &&
    !('stacktrace' in (error.extensions ?? {}))
  );
}

// ---- the table -----------------------------------------------------------------------------------------------------

export interface Row {
  scenario: string;
  requests: number;
  failures: number;
  doubleCharges: number;
  lostPayments: number;
  recovery: string;
}

export function table(rows: Row[]): string {
  const header = ['scenario', 'requests', 'failures', 'double charges', 'lost payments', 'recovery time'];
  const lines = rows.map((r) => [
    r.scenario,
    String(r.requests),
    String(r.failures),
    String(r.doubleCharges),
    String(r.lostPayments),
    r.recovery,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const format = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  return [format(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...lines.map(format)].join('\n');
}
