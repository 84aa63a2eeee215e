import { expect } from 'vitest';
import type { TokenClaims } from '../../dev/tokens.js';
import type { SubgraphName } from '../../platform/config.js';
import { IDENTITY_HEADER, Role, signIdentity, type Identity } from '../../platform/identity.js';
import { USED_TOKEN_TABLE } from '../../platform/replay-guard.js';
import {
  adminOf,
  authorize,
  chargeSession,
  createOperator,
  finishSession,
  newDriver,
  ok,
  paymentOrm,
  platformAdmin,
  refundPayment,
  saveCard,
  startSession,
  type Operator,
  type PaymentStack,
} from '../payment/support.js';

/*
 * The abuse suite's plumbing: the whole platform (+ Stripe emulator) once per file, two tenants with everything a
 * tenant has, a fingerprint of every subgraph database and of the provider's balances, and a leak detector.
 */

// ---- fixtures ------------------------------------------------------------------------------------------------

export interface Tenant {
  operator: Operator;
  tariffId: string;
  admin: TokenClaims;
  /** The tenant's own driver (charges at this operator). */
  driver: TokenClaims;
  cardId: string;
  /** COMPLETED, charged (after a hold) and partly refunded. */
  paidSessionId: string;
  paymentId: string;
  refundId: string;
  /** ACTIVE with a hold (AUTHORIZED payment). */
  activeSessionId: string;
  heldPaymentId: string;
  /** Private provider ids (read from the database, never from the API): no response may carry them. */
  secrets: string[];
}

export interface Fixtures {
  p: PaymentStack;
  A: Tenant;
  B: Tenant;
  analyst: TokenClaims;
  partner: TokenClaims;
  platform: TokenClaims;
}

async function tenant(p: PaymentStack, name: string): Promise<Tenant> {
  const operator = await createOperator(p, name, {
    country: 'DE',
    currency: 'EUR',
    energyPricePerKwh: '0.40',
    preAuthorizationAmount: 5000,
  });
  const admin = adminOf(operator.id);
  const { station } = ok(
    await p.stack.query<{ station: { tariff: { id: string } } }>(
      `query ($id: ID!) { station(id: $id) { tariff { id } } }`,
      { id: operator.stationId },
    ),
  );
  const driver = newDriver();
  const cardId = await saveCard(p, driver);
  const paidSessionId = await startSession(p, driver, operator, 0);
  ok(await authorize(p, driver, paidSessionId, cardId));
  await finishSession(p, driver, operator, paidSessionId, 10_000);
  const paymentId = ok(await chargeSession(p, driver, paidSessionId)).chargeSession.id;
  const refundId = ok(await refundPayment(p, admin, paymentId, 100)).refundPayment.id;
  const activeSessionId = await startSession(p, driver, operator, 1);
  const heldPaymentId = ok(await authorize(p, driver, activeSessionId, cardId)).authorizeChargingSession.id;
  const em = paymentOrm(p).em.fork();
  const rows: Array<Record<string, string | null>> = await em.execute(
    `select p.provider_account_id, p.payment_intent_id, c.provider_customer_id, m.provider_payment_method_id
       from payment p, driver_customer c, saved_payment_method m
      where p.id in (?, ?) and c.driver_id = ? and m.id = ?`,
    [paymentId, heldPaymentId, driver.sub, cardId],
  );
  const secrets = [
    ...new Set(rows.flatMap((row) => Object.values(row)).filter((v): v is string => typeof v === 'string')),
  ];
  expect(secrets.some((s) => s.startsWith('acct_'))).toBe(true);
  return {
    operator,
    tariffId: station.tariff.id,
    admin,
    driver,
    cardId,
    paidSessionId,
    paymentId,
    refundId,
    activeSessionId,
    heldPaymentId,
    secrets,
  };
}

/** Waits until the settle job has run for every ended session (settled_at set), at most 30 s. */
async function allSettled(p: PaymentStack): Promise<void> {
  const session = p.stack.subgraphs.session;
  if (!session) throw new Error('no session subgraph');
  const deadline = Date.now() + 30_000;
  for (;;) {
    const [row]: Array<{ open: string }> = await session.orm.em
      .fork()
      .execute(`select count(*) as open from charging_session where ended_at is not null and settled_at is null`);
    if (Number(row.open) === 0) return;
    if (Date.now() > deadline) throw new Error(`${row.open} ended sessions never settled`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export async function buildFixtures(p: PaymentStack): Promise<Fixtures> {
  const A = await tenant(p, 'Alpha Charge');
  const B = await tenant(p, 'Beta Volt');
  // A stop queues the session-settle job, which frees the connector and charges (idempotently) in the background:
  // every ended session settled, then every webhook applied, before the first fingerprint.
  await allSettled(p);
  await p.emulator.flushWebhooks(); // every webhook applied before the first fingerprint
  return {
    p,
    A,
    B,
    analyst: { role: Role.ANALYST, sub: 'abuse-analyst' },
    partner: { role: Role.PARTNER, sub: 'abuse-partner' },
    platform: platformAdmin,
  };
}

// ---- HTTP ----------------------------------------------------------------------------------------------------

export interface HttpResult {
  status: number;
  headers: Headers;
  text: string;
  /** What was sent (URL and body): the caller's own input echoed back is not a leak. */
  sent: string;
  body?: {
    data?: unknown;
    errors?: Array<{ message: string; path?: unknown[]; extensions?: Record<string, unknown> }>;
  };
}

export async function http(url: string, init: RequestInit): Promise<HttpResult> {
  const response = await fetch(url, init);
  const text = await response.text();
  let body: HttpResult['body'];
  try {
    body = JSON.parse(text) as HttpResult['body'];
  } catch {
    body = undefined;
  }
  return {
    status: response.status,
    headers: response.headers,
    text,
    body,
    sent: `${url} ${typeof init.body === 'string' ? init.body : ''}`,
  };
}

const JSON_HEADERS = { 'content-type': 'application/json' };

/** A GraphQL request to the gateway as `who` (a token's claims) or anonymously. */
export async function gql(
  f: Fixtures,
  query: string,
  variables?: Record<string, unknown>,
  who?: TokenClaims,
  extra: Record<string, unknown> = {},
): Promise<HttpResult> {
  const authorization: Record<string, string> = who ? { authorization: `Bearer ${await f.p.stack.token(who)}` } : {};
  return http(f.p.stack.gatewayUrl, {
    method: 'POST',
    headers: { ...JSON_HEADERS, ...authorization },
    body: JSON.stringify({ query, variables, ...extra }),
  });
}

/** A request sent straight to a subgraph with a correctly signed identity (what a stolen signing key could do). */
export async function direct(
  f: Fixtures,
  subgraph: SubgraphName,
  identity: Identity,
  query: string,
  variables?: Record<string, unknown>,
): Promise<HttpResult> {
  const body = JSON.stringify({ query, variables });
  const token = await signIdentity(identity, 'gateway', f.p.stack.config.signingSecrets[0], body);
  return http(f.p.stack.subgraphs[subgraph]!.url, {
    method: 'POST',
    headers: { ...JSON_HEADERS, [IDENTITY_HEADER]: token },
    body,
  });
}

/** `_entities` with crafted representations, straight to a subgraph. */
export const entities = (
  f: Fixtures,
  subgraph: SubgraphName,
  identity: Identity,
  representations: Array<Record<string, unknown>>,
  selection: string,
) =>
  direct(f, subgraph, identity, `query ($r: [_Any!]!) { _entities(representations: $r) { ${selection} } }`, {
    r: representations,
  });

export const asIdentity = (who: TokenClaims | undefined): Identity =>
  who ? { role: who.role, sub: who.sub, operatorId: who.operatorId } : {};

// ---- state fingerprints ----------------------------------------------------------------------------------------

/** Every row of every table of every subgraph database (hashed), and the provider's balances and writes. */
export interface Fingerprint {
  databases: Record<string, Record<string, string>>;
  provider: Record<string, unknown>;
}

const statementOf = new Map<string, string>();

/** Columns a charger's heartbeat rewrites (presence.ts): left out of the fingerprint, everything else of the row is in. */
const SIGN_OF_LIFE_COLUMNS: Record<string, string[]> = {
  charge_point: ['last_seen_at', 'offline_after', 'updated_at'],
};

export async function fingerprint(f: Fixtures): Promise<Fingerprint> {
  const entries = await Promise.all(
    Object.entries(f.p.stack.subgraphs).map(async ([name, subgraph]) => {
      const em = subgraph!.orm.em.fork();
      let query = statementOf.get(name);
      if (!query) {
        const rows: Array<{ table_name: string }> = await em.execute(
          `select table_name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE' and table_name not like 'mikro_orm%' and table_name <> '${USED_TOKEN_TABLE}' order by table_name`,
        );
        // Every row's content, hashed per table: an insert, update or delete anywhere changes it. Used signature
        // ids are bookkeeping of every accepted call, not data a probe could have changed; so are the times a
        // connected charger was last heard (any answered message moves them).
        query = rows
          .map(({ table_name: t }) => {
            const skipped = SIGN_OF_LIFE_COLUMNS[t];
            const row = skipped ? `(to_jsonb(x) - '{${skipped.join(',')}}'::text[])::text` : 'x::text';
            return `select '${t}' as t, count(*)::text || ':' || md5(coalesce(string_agg(${row}, '|' order by ${row}), '')) as h from "${t}" x`;
          })
          .join(' union all ');
        statementOf.set(name, query);
      }
      const rows: Array<{ t: string; h: string }> = await em.execute(query);
      return [name, Object.fromEntries(rows.map((row) => [row.t, row.h]))] as const;
    }),
  );
  const databases: Fingerprint['databases'] = Object.fromEntries(entries);
  const { emulator } = f.p;
  const provider: Record<string, unknown> = { writes: emulator.requests().filter((r) => r.method !== 'GET').length };
  for (const account of ['platform', f.A.operator.account, f.B.operator.account])
    provider[account] = emulator.balanceOf(account, 'eur');
  return { databases, provider };
}

// ---- leaks -----------------------------------------------------------------------------------------------------

const LEAKS: Array<[string, RegExp]> = [
  ['stack frame', /\bat [\w$.<>[\] ]+ \(|\n\s+at |&nbsp;at /],
  ['node_modules path', /node_modules/],
  ['source path', /\/work\/|file:\/\/|\.ts:\d+|\.js:\d+/],
  ['subgraph name', /serviceName/],
  ['provider id', /\b(acct|pm|pi|cus|ch|re|seti|py|txn|evt|src|card)_[A-Za-z0-9]{8,}/],
  ['provider secret', /\b(sk|rk)_(test|live)_|whsec_/],
  [
    'SQL',
    /\b(select|insert into|update|delete from)\b[^"]*\b(from|set|values|where)\b|syntax error at or near|violates|duplicate key|relation "/i,
  ],
  [
    'table or column name',
    /\b(charging_session|operator_payment_account|saved_payment_method|driver_customer|processed_webhook_event|meter_value|provider_account_id|payment_intent_id|provider_customer_id|provider_payment_method_id|driver_id|operator_id|station_id|mikro_orm)\b/,
  ],
  ['internal library', /mikro-?orm|knex|postgres|body-parser|raw-body|express|undici/i],
  ['HTML error page', /<html|<!DOCTYPE/i],
];

/** What in a response must not be there: internals, and `forbidden` strings (other tenants' ids, secrets). */
export function leaksIn(text: string, forbidden: string[] = []): string[] {
  const found = LEAKS.filter(([, pattern]) => pattern.test(text)).map(([name]) => name);
  for (const value of forbidden) if (value && text.includes(value)) found.push(`private value ${value.slice(0, 12)}…`);
  return found;
}

// ---- probes ----------------------------------------------------------------------------------------------------

export interface Expectation {
  status: number;
  /** Every error's `extensions.code` must be one of these; at least one error. Omit when the answer is data. */
  code?: string | string[];
  /** Further checks of the answer (e.g. data is null / an empty page / a pseudonym). */
  check?: (result: HttpResult) => void;
  /** Strings this caller must not see (default: every private provider id and both drivers' ids). */
  forbid?: string[];
}

export interface Probe {
  name: string;
  send: (f: Fixtures) => Promise<HttpResult>;
  expect: (f: Fixtures) => Expectation;
}

export const probe = (
  name: string,
  send: Probe['send'],
  expect: Expectation | ((f: Fixtures) => Expectation),
): Probe => ({
  name,
  send,
  expect: typeof expect === 'function' ? expect : () => expect,
});

export class Tally {
  probes = 0;
  rejected = 0;
  leaked = 0;
  serverErrors = 0;

  summary(): string {
    return `abuse: ${this.probes} probes, ${this.rejected} rejected, ${this.leaked} leaked`;
  }
}

export const privateValues = (f: Fixtures) => [...f.A.secrets, ...f.B.secrets];

/** Sends one probe and asserts: the precise rejection, no leak, nothing changed in any database or at the provider. */
export async function runProbe(f: Fixtures, tally: Tally, p: Probe): Promise<void> {
  tally.probes++;
  // Probes run one after another and nothing else writes meanwhile: the previous probe's "after" is this one's
  // "before" (a change between two probes, e.g. a late webhook, would fail the next one: it must not happen either).
  const before = lastFingerprint ?? (await fingerprint(f));
  const result = await p.send(f);
  const expected = p.expect(f);
  const forbidden = (expected.forbid ?? [...privateValues(f), f.A.driver.sub, f.B.driver.sub]).filter(
    (value) => !result.sent.includes(value),
  );
  const leaks = leaksIn(result.text, forbidden);
  if (leaks.length) tally.leaked++;
  if (result.status >= 500) tally.serverErrors++;
  const context = `${p.name}: ${result.status} ${result.text.slice(0, 600)}`;
  expect(leaks, context).toEqual([]);
  expect(result.status, context).toBe(expected.status);
  if (expected.code) {
    const codes = [expected.code].flat();
    const errors = result.body?.errors ?? [];
    expect(errors.length, context).toBeGreaterThan(0);
    for (const error of errors) expect(codes, context).toContain(error.extensions?.code);
  }
  expected.check?.(result);
  const after = await fingerprint(f);
  lastFingerprint = after;
  expect(after, `${p.name}: state changed`).toEqual(before);
  tally.rejected++;
}

let lastFingerprint: Fingerprint | undefined;

/** After fixtures were added between probes (a family's own setup): the next probe takes a fresh "before". */
export function forgetFingerprint(): void {
  lastFingerprint = undefined;
}

// ---- small helpers for checks ------------------------------------------------------------------------------------

/** Walks `data` along a path of keys. */
export function at(result: HttpResult, ...path: Array<string | number>): unknown {
  let value: unknown = result.body?.data;
  for (const key of path) value = value == null ? value : (value as Record<string | number, unknown>)[key];
  return value;
}

export const isNullAt =
  (...path: Array<string | number>) =>
  (result: HttpResult) =>
    expect(at(result, ...path), `${path.join('.')} must be null`).toBeNull();

export const isEmptyAt =
  (...path: Array<string | number>) =>
  (result: HttpResult) =>
    expect(at(result, ...path), `${path.join('.')} must be empty`).toEqual([]);
