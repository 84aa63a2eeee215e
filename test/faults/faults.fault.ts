/**
 * The fault suite (`npm run test:faults`): the real processes under load while parts of the platform fail.
 * Every scenario asserts its invariants — clean failures only, recovery, and for money: no session charged twice
 * at the provider, none charged there without our record of it — and adds a row to the table printed at the end.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  artifacts,
  auditMoney,
  CHARGE,
  completedSession,
  createOperator,
  gql,
  isCleanError,
  request,
  sleep,
  startLoad,
  startPlatform,
  table,
  waitFor,
  type GraphQLBody,
  type Operator,
  type Outcome,
  type Platform,
  type Row,
} from './support.js';

const rows: Row[] = [];
let p: Platform;
/** Sessions held at start (the hold is captured at the end). */
let operator: Operator;
/** The same kind of operator, post-paid: its sessions start without a hold and are charged off-session. */
let direct: Operator;
const accounts = () => [operator.account, direct.account];
let connector = 0;
const sessions: string[] = [];
const seconds = (ms: number | undefined) => (ms === undefined ? 'n/a' : `${(ms / 1000).toFixed(2)} s`);

const CATALOGUE = '{ operators(first: 5) { edges { node { name stations(first: 2) { edges { node { name } } } } } } }';

/** A catalogue read across two subgraphs: complete, partial with a masked error, or a clean error. */
async function readCatalogue(): Promise<Outcome | { outcome: Outcome; detail: string }> {
  const { status, body } = await gql<{ operators: { edges: Array<{ node: { stations: unknown } }> } | null }>(
    p,
    CATALOGUE,
  );
  const errors = body.errors ?? [];
  if (status === 200 && !errors.length && body.data?.operators?.edges.length) return 'ok';
  if (errors.length && errors.every(isCleanError)) return body.data?.operators ? 'partial' : 'clean-error';
  return { outcome: 'unclean', detail: `${status} ${JSON.stringify(body).slice(0, 300)}` };
}

/** Charges a session until it is paid, the way an app retries; every answer on the way must be clean. */
async function chargeUntilPaid(
  sessionId: string,
  driver: Parameters<typeof gql>[3],
  stats: { requests: number; failures: number; unclean: string[] },
  deadlineMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    stats.requests++;
    const { body } = await gql<{ chargeSession: { status: string } }>(p, CHARGE, { id: sessionId }, driver).catch(
      (error: Error) => ({
        body: { errors: [{ message: `transport: ${error.message}` }] } as GraphQLBody<{
          chargeSession: { status: string };
        }>,
      }),
    );
    if (body.data?.chargeSession?.status === 'SUCCEEDED') return;
    stats.failures++;
    for (const error of body.errors ?? [])
      if (!isCleanError(error)) stats.unclean.push(JSON.stringify(error).slice(0, 300));
    if (Date.now() > deadline) throw new Error(`session ${sessionId} not paid in time: ${JSON.stringify(body)}`);
    await sleep(250);
  }
}

beforeAll(async () => {
  p = await startPlatform();
  operator = await createOperator(p, 'Faults Energy', 40);
  direct = await createOperator(p, 'Faults Direct', 40, { postPaid: true });
}, 180_000);

afterAll(async () => {
  await p?.close();
  const printed = table(rows);
  writeFileSync(path.join(artifacts, 'table.md'), `${printed}\n`);
  process.stdout.write(
    `\nFault suite\n${printed}\n(logs and this table: ${path.relative(process.cwd(), artifacts)}/)\n\n`,
  );
}, 60_000);

describe('fault suite', () => {
  it('propagates the request id from the gateway to the subgraph and into the logs of the Stripe call', async () => {
    const { driver, sessionId } = await completedSession(p, direct, connector++);
    sessions.push(sessionId);
    const requestId = `faults-${Date.now()}`;
    const { body, headers } = await gql<{ chargeSession: { status: string } }>(p, CHARGE, { id: sessionId }, driver, {
      'x-request-id': requestId,
    });
    expect(body.data?.chargeSession.status).toBe('SUCCEEDED');
    expect(headers['x-request-id']).toBe(requestId);
    type Line = { msg: string; route?: string; stripe?: { path: string } };
    const lines = () =>
      p.subgraphs.payment
        .log()
        .split('\n')
        .filter((line) => line.includes(requestId))
        .map((line) => JSON.parse(line) as Line);
    // The access log line is written once the response is flushed, which may be just after the client has it.
    await waitFor(
      'the access log line',
      () => lines().some((l) => l.msg === 'request' && l.route === '/graphql'),
      5_000,
    );
    expect(
      lines()
        .filter((l) => l.msg === 'stripe call')
        .map((l) => l.stripe?.path),
    ).toEqual(expect.arrayContaining([expect.stringMatching(/^\/v1\/payment_intents/)]));
    // …and /metrics on every process.
    for (const [name, port] of Object.entries(p.ports)) {
      const metrics = await request('GET', `http://127.0.0.1:${port}/metrics`);
      expect(metrics.body, name).toMatch(/chargegraph_http_requests_total/);
    }
    const gatewayMetrics = (await request('GET', `http://127.0.0.1:${p.ports.gateway}/metrics`)).body;
    expect(gatewayMetrics).toMatch(
      /chargegraph_subgraph_fetch_duration_seconds_count\{subgraph="payment",outcome="ok"\} [1-9]/,
    );
    expect(gatewayMetrics).toMatch(
      /chargegraph_graphql_operation_duration_seconds_count\{service="gateway",operation="\(anonymous\)",type="mutation"\}/,
    );
    const paymentMetrics = (await request('GET', `http://127.0.0.1:${p.ports.payment}/metrics`)).body;
    expect(paymentMetrics).toMatch(
      new RegExp(`chargegraph_payments\\{status="SUCCEEDED",operator="${direct.id}"\\} [1-9]`),
    );
    expect(paymentMetrics).toMatch(/chargegraph_webhook_lag_seconds_count\{service="payment",outcome="ok"\} [1-9]/);
    expect(paymentMetrics).toMatch(/chargegraph_sweeper_backlog\{kind="in_doubt"\} 0/);
  });

  it('kills a subgraph mid-load: partial data with a masked error, recovery when it returns', async () => {
    const load = startLoad(6, readCatalogue);
    await sleep(800);
    p.subgraphs.station.kill('SIGKILL');
    await p.subgraphs.station.exit;
    await sleep(1500);
    load.markRecovery();
    const restartedAt = performance.now();
    const startMs = await p.subgraphs.station.start();
    await waitFor('a complete answer after the restart', () => load.report.recoveredAt !== undefined, 15_000);
    await sleep(300);
    const report = await load.stop();
    expect(report.unclean).toEqual([]);
    expect(report.counts.unclean).toBe(0);
    expect(report.counts.partial).toBeGreaterThan(0); // the outage was seen, as partial data
    expect(report.counts.ok).toBeGreaterThan(0);
    rows.push({
      scenario: 'kill the station subgraph mid-load',
      requests: report.requests,
      failures: report.counts.partial + report.counts['clean-error'],
      doubleCharges: 0,
      lostPayments: 0,
      recovery: `${seconds(report.recoveredAt! - restartedAt)} (process ready after ${seconds(startMs)})`,
    });
  });

  it('restarts PostgreSQL mid-load: requests fail cleanly, pools recover, no half-written payment', async () => {
    const due = await Promise.all(
      Array.from({ length: 6 }, (_, i) => completedSession(p, i % 2 === 0 ? operator : direct, connector++)),
    );
    sessions.push(...due.map((d) => d.sessionId));
    const stats = { requests: 0, failures: 0, unclean: [] as string[] };
    const load = startLoad(4, readCatalogue);
    await sleep(500);
    // Charges in flight while the database goes away; each app keeps retrying until paid.
    const charging = due.map((d, i) =>
      sleep(i * 150).then(() => chargeUntilPaid(d.sessionId, d.driver, stats, 45_000)),
    );
    await sleep(200);
    await p.restartPostgres(1500);
    load.markRecovery();
    const upAt = performance.now();
    await waitFor('reads recover', () => load.report.recoveredAt !== undefined, 20_000);
    await Promise.all(charging);
    const report = await load.stop();
    expect(report.unclean).toEqual([]);
    expect(stats.unclean).toEqual([]);
    expect(report.counts['clean-error'] + report.counts.partial).toBeGreaterThan(0); // the outage was seen
    const audit = await auditMoney(
      p,
      accounts(),
      due.map((d) => d.sessionId),
    );
    expect(audit.details).toEqual([]);
    const db = p.paymentDb();
    await db.connect();
    const { rows: open } = await db.query(
      "select session_id, status from payment where session_id = any($1::uuid[]) and status <> 'SUCCEEDED'",
      [due.map((d) => d.sessionId)],
    );
    await db.end();
    expect(open).toEqual([]);
    rows.push({
      scenario: 'restart PostgreSQL mid-load (reads + 6 charges)',
      requests: report.requests + stats.requests,
      failures: report.counts.partial + report.counts['clean-error'] + stats.failures,
      doubleCharges: audit.doubleCharges,
      lostPayments: audit.lostPayments + audit.phantomPayments,
      recovery: seconds(report.recoveredAt! - upAt),
    });
  });

  it('crashes the payment subgraph between the Stripe success and its database write: reconciled on restart, no second charge', async () => {
    const held = await completedSession(p, operator, connector++);
    const unheld = await completedSession(p, direct, connector++);
    const ids = [held.sessionId, unheld.sessionId];
    sessions.push(...ids);
    // The provider performs the capture / the direct charge; its answer never reaches the payment subgraph.
    p.proxy.arm({ method: 'POST', path: /^\/v1\/payment_intents\/[^/]+\/capture$/, action: 'hold', times: 1 });
    p.proxy.arm({ method: 'POST', path: /^\/v1\/payment_intents$/, action: 'hold', times: 1 });
    const heldBefore = p.proxy.held;
    const inFlight = [held, unheld].map((s) =>
      gql<{ chargeSession: { status: string } }>(p, CHARGE, { id: s.sessionId }, s.driver),
    );
    await waitFor('both provider calls performed', () => p.proxy.held === heldBefore + 2, 10_000);
    p.subgraphs.payment.kill('SIGKILL');
    await p.subgraphs.payment.exit;
    p.proxy.disarm();
    const answers = await Promise.all(inFlight);
    for (const { body } of answers) {
      expect(body.data?.chargeSession ?? null).toBeNull();
      expect(body.errors?.every(isCleanError)).toBe(true);
    }
    // The money moved at the provider; our database does not know yet.
    const before = await auditMoney(p, accounts(), ids);
    expect(before.lostPayments).toBe(2);
    expect(before.doubleCharges).toBe(0);

    // Restart with the sweeper on (its cron fires at the next minute): nobody calls chargeSession, yet both are
    // settled from the provider's answers.
    const restartedAt = performance.now();
    const startMs = await p.subgraphs.payment.start({ SWEEPER_CRON: '* * * * *', SWEEPER_GRACE_MS: '0' });
    await waitFor(
      'reconciled from the provider',
      async () => (await auditMoney(p, accounts(), ids)).lostPayments === 0,
      100_000,
    );
    const recovered = performance.now() - restartedAt;
    // The app retries too: the same payment comes back, nothing is charged again.
    const stats = { requests: 2, failures: 2, unclean: [] as string[] };
    await chargeUntilPaid(held.sessionId, held.driver, stats);
    await chargeUntilPaid(unheld.sessionId, unheld.driver, stats);
    const audit = await auditMoney(p, accounts(), ids);
    expect(audit.details).toEqual([]);
    expect(stats.unclean).toEqual([]);
    // Back to the normal configuration (no sweeper) for the next scenarios.
    await p.subgraphs.payment.stop();
    await p.subgraphs.payment.start();
    rows.push({
      scenario: 'crash payment after the Stripe success, before the DB write (capture + direct charge)',
      requests: stats.requests,
      failures: stats.failures,
      doubleCharges: audit.doubleCharges,
      lostPayments: audit.lostPayments + audit.phantomPayments,
      recovery: `${seconds(recovered)} (process ready after ${seconds(startMs)})`,
    });
  }, 150_000);

  it('answers cleanly when Stripe is slower than the timeout, and charges once', async () => {
    const cases = await Promise.all([
      completedSession(p, operator, connector++),
      completedSession(p, operator, connector++),
      completedSession(p, direct, connector++),
    ]);
    const ids = cases.map((c) => c.sessionId);
    sessions.push(...ids);
    const stats = { requests: 0, failures: 0, unclean: [] as string[] };
    const started = performance.now();
    // 1. performed, answer 1.5 s late (timeout 0.8 s): the SDK retries with the same key and gets the replay.
    p.proxy.arm({ method: 'POST', path: /\/capture$/, action: 'delay', delayMs: 1500, times: 1 });
    await chargeUntilPaid(cases[0].sessionId, cases[0].driver, stats);
    expect(stats.failures).toBe(0);
    // 2. every attempt late: a clean PAYMENT_PROVIDER_UNAVAILABLE; the app's retry settles it from the replay.
    p.proxy.arm({ method: 'POST', path: /\/capture$/, action: 'delay', delayMs: 1500, times: 3 });
    stats.requests++;
    const slow = await gql(p, CHARGE, { id: cases[1].sessionId }, cases[1].driver);
    expect(slow.body.errors?.[0]?.extensions?.code).toBe('PAYMENT_PROVIDER_UNAVAILABLE');
    expect(slow.body.errors?.every(isCleanError)).toBe(true);
    stats.failures++;
    p.proxy.disarm();
    await chargeUntilPaid(cases[1].sessionId, cases[1].driver, stats);
    // 3. the provider never answers the first attempt (not performed): the SDK's retry performs it.
    p.emulator.faults.injectNext('timeout', { method: 'POST', pathPrefix: '/v1/payment_intents' });
    await chargeUntilPaid(cases[2].sessionId, cases[2].driver, stats);
    const audit = await auditMoney(p, accounts(), ids);
    expect(audit.details).toEqual([]);
    expect(stats.unclean).toEqual([]);
    rows.push({
      scenario: 'Stripe slower than the timeout (late, never, 3x late)',
      requests: stats.requests,
      failures: stats.failures,
      doubleCharges: audit.doubleCharges,
      lostPayments: audit.lostPayments + audit.phantomPayments,
      recovery: seconds(performance.now() - started) + ' (all paid)',
    });
  });

  it('replays and reorders webhooks: duplicates do nothing, late events never move a payment backwards', async () => {
    await p.emulator.flushWebhooks();
    // Both operators' events: the held sessions' (hold, capture) and the post-paid ones' (off-session charges).
    const events: Stripe.Event[] = [];
    const accountOf = new Map<string, string>();
    for (const account of accounts())
      for await (const event of p.stripe.events.list({ limit: 100 }, { stripeAccount: account })) {
        events.push(event);
        accountOf.set(event.id, account);
      }
    expect(events.length).toBeGreaterThan(10);
    const db = p.paymentDb();
    await db.connect();
    const snapshot = async () =>
      (
        await db.query(
          'select id, status, amount, refunded_amount, payment_intent_id, attempt from payment order by id',
        )
      ).rows;
    const before = await snapshot();
    const deliver = (event: Stripe.Event, id = event.id) => {
      const payload = JSON.stringify({ ...event, id, account: accountOf.get(event.id) });
      const header = p.stripe.webhooks.generateTestHeaderString({ payload, secret: 'whsec_emulator_connect' });
      return request('POST', `http://127.0.0.1:${p.ports.payment}/webhooks/stripe`, payload, {
        'content-type': 'application/json',
        'stripe-signature': header,
      });
    };
    // Every event twice, shuffled, all at once.
    const deliveries = [...events, ...events].sort(() => Math.random() - 0.5);
    const answers = await Promise.all(deliveries.map((event) => deliver(event)));
    const failures = answers.filter((a) => a.status !== 200).length;
    expect(failures).toBe(0);
    const results = answers.map((a) => (JSON.parse(a.body) as { result: string }).result);
    expect(results.filter((r) => r === 'applied')).toEqual([]);
    expect(await snapshot()).toEqual(before);
    // Reordered: an early state of a paid intent, arriving late under a new event id, is re-fetched and changes nothing.
    const late = events
      .filter(
        (e) => e.type === 'payment_intent.amount_capturable_updated' || e.type === 'payment_intent.requires_action',
      )
      .slice(0, 5);
    expect(late.length).toBeGreaterThan(0);
    const lateAnswers = await Promise.all(
      late.map((event, i) =>
        deliver(
          { ...event, type: i % 2 ? 'payment_intent.payment_failed' : 'payment_intent.canceled' } as Stripe.Event,
          `evt_late_${Date.now()}_${i}`,
        ),
      ),
    );
    expect(lateAnswers.map((a) => a.status)).toEqual(late.map(() => 200));
    expect(await snapshot()).toEqual(before);
    // A forged one is refused before anything is read.
    const forged = await request(
      'POST',
      `http://127.0.0.1:${p.ports.payment}/webhooks/stripe`,
      JSON.stringify(events[0]),
      { 'content-type': 'application/json', 'stripe-signature': 't=1,v1=deadbeef' },
    );
    expect(forged.status).toBe(400);
    await db.end();
    const audit = await auditMoney(p, accounts(), sessions);
    expect(audit.details).toEqual([]);
    rows.push({
      scenario: `webhooks replayed x2 shuffled + ${late.length} late/reordered`,
      requests: deliveries.length + late.length + 1,
      failures: failures + 1,
      doubleCharges: audit.doubleCharges,
      lostPayments: audit.lostPayments + audit.phantomPayments,
      recovery: 'n/a (no outage)',
    });
  });

  it('SIGTERM under load: readiness goes false first, no started request is dropped, exit 0 within the bound', async () => {
    // A load balancer's view: it stops sending once readiness fails (polled every 100 ms, as a kube-proxy would react).
    let routable = true;
    const poller = setInterval(async () => {
      const ready = await request('GET', `http://127.0.0.1:${p.ports.gateway}/health/ready`, undefined, {}, 500).catch(
        () => undefined,
      );
      routable = ready?.status === 200;
    }, 100);
    const load = startLoad(8, readCatalogue, () => routable);
    await sleep(800);
    // Payment charges in flight (the provider answers 600 ms late) while the payment subgraph is told to stop.
    const due = await Promise.all(Array.from({ length: 3 }, () => completedSession(p, direct, connector++)));
    sessions.push(...due.map((d) => d.sessionId));
    p.proxy.arm({ method: 'POST', path: /^\/v1\/payment_intents$/, action: 'delay', delayMs: 600, times: 3 });
    const charges = due.map((d) =>
      gql<{ chargeSession: { status: string } }>(p, CHARGE, { id: d.sessionId }, d.driver),
    );
    await sleep(300);
    const paymentStop = performance.now();
    p.subgraphs.payment.kill('SIGTERM');
    const paymentExit = await p.subgraphs.payment.exit;
    const paymentMs = performance.now() - paymentStop;
    const charged = await Promise.all(charges);
    p.proxy.disarm();
    expect(paymentExit).toBe(0);
    expect(charged.map((c) => c.body.data?.chargeSession.status)).toEqual(['SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED']);
    await p.subgraphs.payment.start();

    const stopAt = performance.now();
    p.gateway.kill('SIGTERM');
    const gatewayExit = await p.gateway.exit;
    const gatewayMs = performance.now() - stopAt;
    load.markRecovery();
    const restartedAt = performance.now();
    const gatewayStartMs = await p.gateway.start();
    await waitFor('traffic again', () => load.report.recoveredAt !== undefined, 15_000);
    clearInterval(poller);
    const report = await load.stop();
    expect(gatewayExit).toBe(0);
    expect(gatewayMs).toBeLessThan(1000 + 8000); // SHUTDOWN_DELAY_MS + SHUTDOWN_TIMEOUT_MS
    expect(paymentMs).toBeLessThan(1000 + 8000);
    expect(report.unclean).toEqual([]);
    expect(report.counts.unclean + report.counts['clean-error'] + report.counts.partial).toBe(0); // nothing that started failed
    const audit = await auditMoney(
      p,
      accounts(),
      due.map((d) => d.sessionId),
    );
    expect(audit.details).toEqual([]);
    rows.push({
      scenario: `SIGTERM under load (payment exit ${paymentExit} in ${seconds(paymentMs)}, gateway exit ${gatewayExit} in ${seconds(gatewayMs)})`,
      requests: report.requests + charged.length,
      failures:
        report.counts.unclean +
        report.counts['clean-error'] +
        report.counts.partial +
        report.counts.refused +
        charged.filter((c) => c.body.errors).length,
      doubleCharges: audit.doubleCharges,
      lostPayments: audit.lostPayments + audit.phantomPayments,
      recovery: `${seconds(report.recoveredAt! - restartedAt)} (gateway ready after ${seconds(gatewayStartMs)})`,
    });
  });

  it('exported traces that span the gateway and the subgraphs (OTLP, because OTEL_EXPORTER_OTLP_ENDPOINT is set)', async () => {
    // The gateway and payment processes were stopped gracefully above, which flushes their exporters.
    await waitFor('spans exported', () => p.traces.spans.some((s) => s.service === 'chargegraph-payment'), 10_000);
    const fetches = p.traces.spans.filter((s) => s.service === 'chargegraph-gateway' && s.name === 'gateway.fetch');
    expect(fetches.length).toBeGreaterThan(0);
    const fetchIds = new Set(fetches.map((s) => `${s.traceId}/${s.spanId}`));
    const joined = p.traces.spans.filter(
      (s) => s.service === 'chargegraph-payment' && s.parentSpanId && fetchIds.has(`${s.traceId}/${s.parentSpanId}`),
    );
    expect(joined.length).toBeGreaterThan(0); // a payment request span is the child of the gateway's fetch span
  });

  it('leaves no session charged twice and none lost, over every scenario', async () => {
    const audit = await auditMoney(p, accounts(), sessions);
    expect(audit.details).toEqual([]);
    expect(audit.doubleCharges + audit.lostPayments + audit.phantomPayments).toBe(0);
  });
});
