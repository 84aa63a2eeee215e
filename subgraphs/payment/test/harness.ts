import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'vitest';
import { startStripeEmulator, type StripeEmulator } from '../../../dev/stripe-emulator/index.js';
import { testConfig } from '../../../test/support/config.js';
import { createTestSubgraph, type TestSubgraph } from '../../../test/support/subgraph.js';
import { busDatabaseUrl } from '../../../platform/bus.js';
import { dropDatabase } from '../../../platform/database-admin.js';
import { newId } from '../../../platform/ids.js';
import { Role, type Identity } from '../../../platform/identity.js';
import { createPaymentSubgraph, type PaymentServices } from '../index.js';
import { Payment } from '../payment/payment.entity.js';
import { Refund } from '../refund/refund.entity.js';
import { dataOf, errorCode } from '../../../test/support/results.js';

/*
 * The payment subgraph on a database of its own, talking to a real Stripe emulator (SDK unchanged, host/port
 * override) and to a stand-in for the operator and session subgraphs: a tiny GraphQL endpoint that answers
 * `_entities` and `chargingSessions` from facts the test sets, so each test controls status, driver and cost.
 */

export const platformAdmin: Identity = { role: Role.PLATFORM_ADMIN, sub: 'platform-admin' };
export const service: Identity = { role: Role.SERVICE, sub: 'test-service' };
export const adminOf = (operatorId: string): Identity => ({
  role: Role.OPERATOR_ADMIN,
  sub: `admin-of-${operatorId}`,
  operatorId,
});
let drivers = 0;
export const newDriver = (): Identity => ({ role: Role.DRIVER, sub: `driver-${++drivers}-${process.pid}` });

export interface OperatorFact {
  id: string;
  country: string;
  contactEmail: string;
  /** The merchant on receipts (receipt tests set them). */
  name?: string;
  legalName?: string | null;
  legalAddress?: string | null;
  vatId?: string | null;
}

export interface StationFact {
  id: string;
  name: string;
  address: { street: string; city: string; postalCode: string; country: string };
}

export interface SessionFact {
  id: string;
  status: 'PENDING' | 'ACTIVE' | 'COMPLETED' | 'FAILED' | 'CANCELLED';
  driverId: string;
  operatorId: string;
  currency: string;
  preAuthorization: number;
  total: number;
  startedAt: Date;
  endedAt: Date | null;
  /** What receipts copy (defaults: no energy, tax 0, the whole total as energy, an unknown station). */
  energyWh?: number;
  stationId?: string;
  taxRateBasisPoints?: number;
  cost?: { energy: number; time: number; sessionFee: number; tax: number };
}

/** The operator and session subgraphs, as far as the payment subgraph asks them. */
export class FakeOwners {
  readonly operators = new Map<string, OperatorFact>();
  readonly sessions = new Map<string, SessionFact>();
  readonly stations = new Map<string, StationFact>();
  /** Every query asked, in order (tests count batched calls). */
  readonly queries: string[] = [];
  private server?: http.Server;

  async listen(): Promise<string> {
    this.server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      req.on('end', () => {
        const { query, variables } = JSON.parse(body) as { query: string; variables: Record<string, unknown> };
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ data: this.answer(query, variables) }));
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/graphql`;
  }

  close(): Promise<void> {
    return new Promise((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private answer(query: string, variables: Record<string, unknown>): unknown {
    this.queries.push(query);
    if (query.includes('_entities')) {
      const representations = variables.representations as Array<{ __typename: string; id: string }>;
      return {
        _entities: representations.map((r) =>
          r.__typename === 'Operator'
            ? this.operatorView(r.id)
            : r.__typename === 'Station'
              ? (this.stations.get(r.id) ?? null)
              : this.sessionView(r.id),
        ),
      };
    }
    if (query.includes('chargingSessions')) {
      const completed = [...this.sessions.values()]
        .filter((s) => s.status === 'COMPLETED')
        .sort((a, b) => (a.id < b.id ? 1 : -1));
      const first = Number(variables.first);
      const after = variables.after as string | null;
      const start = after ? completed.findIndex((s) => s.id === after) + 1 : 0;
      const page = completed.slice(start, start + first);
      return {
        chargingSessions: {
          edges: page.map((s) => ({
            node: { id: s.id, startedAt: s.startedAt.toISOString(), endedAt: s.endedAt?.toISOString() ?? null },
          })),
          pageInfo: { hasNextPage: start + first < completed.length, endCursor: page.at(-1)?.id ?? null },
        },
      };
    }
    throw new Error(`unexpected query ${query}`);
  }

  private operatorView(id: string): unknown {
    const o = this.operators.get(id);
    if (!o) return null;
    return { legalName: null, legalAddress: null, vatId: null, name: `Operator ${id.slice(-6)}`, ...o };
  }

  private sessionView(id: string): unknown {
    const s = this.sessions.get(id);
    if (!s) return null;
    const money = (amount: number) => ({ amount, currency: s.currency });
    const cost = s.cost ?? { energy: s.total, time: 0, sessionFee: 0, tax: 0 };
    return {
      id: s.id,
      status: s.status,
      driverId: s.driverId,
      operator: { id: s.operatorId },
      startedAt: s.startedAt.toISOString(),
      endedAt: s.endedAt?.toISOString() ?? null,
      energyWh: s.energyWh ?? 0,
      station: { id: s.stationId ?? '00000000-0000-4000-8000-000000000000' },
      tariff: {
        currency: s.currency,
        taxRateBasisPoints: s.taxRateBasisPoints ?? 0,
        preAuthorization: money(s.preAuthorization),
      },
      cost: {
        energy: money(cost.energy),
        time: money(cost.time),
        sessionFee: money(cost.sessionFee),
        tax: money(cost.tax),
        total: money(s.total),
      },
    };
  }
}

export interface Harness {
  subgraph: TestSubgraph;
  emulator: StripeEmulator;
  owners: FakeOwners;
  services: PaymentServices;
  url: string;
  webhookUrl: string;
  destroy(): Promise<void>;
}

export async function startHarness(env: Record<string, string> = {}): Promise<Harness> {
  const emulator = await startStripeEmulator({ port: 0 });
  const owners = new FakeOwners();
  const ownersUrl = await owners.listen();
  let services: PaymentServices | undefined;
  const module = createPaymentSubgraph({
    env: {
      NODE_ENV: 'test',
      STRIPE_SECRET_KEY: 'sk_test_emulator',
      STRIPE_API_HOST: emulator.clientOptions.host,
      STRIPE_API_PORT: String(emulator.clientOptions.port),
      STRIPE_API_PROTOCOL: 'http',
      STRIPE_TIMEOUT_MS: '1000',
      SWEEPER_CRON: 'off', // tests sweep with runOnce(), or switch the cron on themselves
      RECONCILIATION_CRON: 'off', // tests reconcile on demand (reconcileOperator, the queue)
      ...env,
    },
    onServices: (built) => (services = built),
    jobPollingIntervalSeconds: 0.5,
  });
  const config = testConfig({ OPERATOR_URL: ownersUrl, SESSION_URL: ownersUrl, STATION_URL: ownersUrl });
  const subgraph = await createTestSubgraph(module, config);
  const url = await subgraph.listen(0);
  const webhookUrl = new URL('/webhooks/stripe', url).toString();
  emulator.setWebhookUrl(webhookUrl);
  if (!services) throw new Error('payment services were not built');
  return {
    subgraph,
    emulator,
    owners,
    services,
    url,
    webhookUrl,
    async destroy() {
      emulator.setWebhookUrl(undefined);
      await subgraph.destroy();
      await dropDatabase(busDatabaseUrl(config));
      await emulator.close();
      await owners.close();
    },
  };
}

export { dataOf, errorCode as reasonOf };

/** An operator with a completed onboarding at the emulator (and its fee policy, when given). */
export async function onboardedOperator(
  h: Harness,
  options: { country?: string; basisPoints?: number; fixedAmount?: number } = {},
): Promise<{ id: string; account: string }> {
  const id = newId();
  h.owners.operators.set(id, { id, country: options.country ?? 'DE', contactEmail: `ops-${id.slice(-6)}@example.com` });
  const link = await h.subgraph.run<{ startOperatorOnboarding: { url: string } }>(
    `mutation ($id: ID!) { startOperatorOnboarding(operatorId: $id) { url expiresAt } }`,
    { id },
    adminOf(id),
  );
  dataOf(link);
  const account = await providerAccountOf(h, id);
  const onboarded = await fetch(`${h.emulator.url}/_emulator/accounts/${account}/onboard`, { method: 'POST' });
  expect(onboarded.status).toBe(200);
  await h.emulator.flushWebhooks(); // account.updated → chargesEnabled
  if (options.basisPoints !== undefined || options.fixedAmount !== undefined) {
    dataOf(
      await h.subgraph.run(
        `mutation ($input: SetOperatorFeePolicyInput!) { setOperatorFeePolicy(input: $input) { id } }`,
        {
          input: { operatorId: id, basisPoints: options.basisPoints ?? 0, fixedAmount: options.fixedAmount ?? 0 },
        },
        platformAdmin,
      ),
    );
  }
  return { id, account };
}

export async function providerAccountOf(h: Harness, operatorId: string): Promise<string> {
  const rows: Array<{ provider_account_id: string }> = await h.subgraph.orm.em
    .fork()
    .execute('select provider_account_id from operator_payment_account where operator_id = ?', [operatorId]);
  const account = rows[0]?.provider_account_id;
  if (!account) throw new Error(`operator ${operatorId} has no provider account`);
  return account;
}

/** A driver with a saved card; returns the saved card's id. */
export async function driverWithCard(h: Harness, driver: Identity, paymentMethod = 'pm_card_visa'): Promise<string> {
  const saved = await h.subgraph.run<{ savePaymentMethod: { id: string } }>(
    `mutation ($pm: String!) { savePaymentMethod(paymentMethodId: $pm) { id brand last4 } }`,
    { pm: paymentMethod },
    driver,
  );
  return dataOf(saved).savePaymentMethod.id;
}

export function session(
  h: Harness,
  fact: Partial<SessionFact> & Pick<SessionFact, 'driverId' | 'operatorId'>,
): SessionFact {
  const s: SessionFact = {
    id: newId(),
    status: 'ACTIVE',
    currency: 'EUR',
    preAuthorization: 5000,
    total: 1234,
    startedAt: new Date(Date.now() - 3600_000),
    endedAt: null,
    ...fact,
  };
  h.owners.sessions.set(s.id, s);
  return s;
}

export function complete(s: SessionFact, total = s.total): void {
  s.status = 'COMPLETED';
  s.total = total;
  s.endedAt = new Date(Date.now() - 600_000);
}

export const PAYMENT_FIELDS =
  'id status amount { amount currency } authorizedAmount { amount currency } applicationFee { amount currency } refundedAmount { amount currency } capturedAt failureCode receipt { number amount { amount currency } cardBrand cardLast4 } clientSecret';

export interface PaymentView {
  id: string;
  status: string;
  amount: { amount: number; currency: string } | null;
  authorizedAmount: { amount: number; currency: string } | null;
  applicationFee: { amount: number; currency: string } | null;
  refundedAmount: { amount: number; currency: string };
  failureCode: string | null;
  receipt: { number: string; amount: { amount: number }; cardBrand: string; cardLast4: string } | null;
  clientSecret: string | null;
}

export const authorize = (h: Harness, driver: Identity, sessionId: string, paymentMethodId: string) =>
  h.subgraph.run<{ authorizeChargingSession: PaymentView }>(
    `mutation ($input: AuthorizeChargingSessionInput!) { authorizeChargingSession(input: $input) { ${PAYMENT_FIELDS} } }`,
    { input: { sessionId, paymentMethodId } },
    driver,
  );

export const charge = (h: Harness, who: Identity, sessionId: string) =>
  h.subgraph.run<{ chargeSession: PaymentView }>(
    `mutation ($id: ID!) { chargeSession(sessionId: $id) { ${PAYMENT_FIELDS} } }`,
    { id: sessionId },
    who,
  );

export const refund = (h: Harness, who: Identity, paymentId: string, amount?: number) =>
  h.subgraph.run<{ refundPayment: { id: string; status: string; amount: { amount: number } } }>(
    `mutation ($input: RefundPaymentInput!) { refundPayment(input: $input) { id status amount { amount currency } reason } }`,
    { input: { paymentId, amount } },
    who,
  );

export async function paymentRow(h: Harness, sessionId: string): Promise<Payment | null> {
  return h.subgraph.orm.em.fork().findOne(Payment, { sessionId });
}

export const countPayments = (h: Harness) => h.subgraph.orm.em.fork().count(Payment, {});
export const countRefunds = (h: Harness) => h.subgraph.orm.em.fork().count(Refund, {});

/** Requests the emulator saw, e.g. captures: `requestsTo(h, 'POST', /\/capture$/)`. */
export const requestsTo = (h: Harness, method: string, path: RegExp) =>
  h.emulator.requests().filter((r) => r.method === method && path.test(r.path) && r.status < 300);
