import { randomBytes } from 'node:crypto';
import pg from 'pg';
import PgBoss from 'pg-boss';
import Stripe from 'stripe';
import { dropStackDatabases, startStack, type Stack } from '../../dev/stack.js';
import { startStripeEmulator, type StripeEmulator } from '../../dev/stripe-emulator/index.js';
import { signDevToken } from '../../dev/tokens.js';
import { databaseUrl } from '../../platform/database-admin.js';
import { Sweeper } from '../../subgraphs/payment/sweeper.js';
import { closeBooks, type Books } from './books.js';
import { PublicApi } from './client.js';
import { driveDay, planDay, type Scenario, type SessionOutcome } from './traffic.js';
import { createDrivers, createOperators, platformAdmin, type SimOperator } from './world.js';

export interface DayOptions {
  operators: number;
  sessions: number;
  /** Sessions in flight at once. */
  concurrency: number;
  seed: number;
  /** PostgreSQL server (the databases are `cgsim_<random>_*` on it, dropped at the end unless `keep`). */
  databaseUrl: string;
  keep?: boolean;
  /** Start no new session after this many seconds of traffic; the day closes on the sessions that ran. */
  maxTrafficSeconds?: number;
  logLevel?: string;
  log?: (line: string) => void;
}

export interface WebhookReplay {
  sent: number;
  /** Answers other than 200 (must be none). */
  failed: number;
  /** Replays the platform applied as new (a duplicate changes nothing; these re-read the provider and converge). */
  applied: number;
}

export interface DayReport {
  options: Omit<DayOptions, 'log'>;
  scenarios: Record<Scenario, number>;
  outcomes: Record<string, number>;
  faultsInjected: number;
  /** Provider requests the emulator answered with a fault (500, 429) or never answered (timeout, lost response). */
  providerFaultAnswers: Record<string, number>;
  apiRetries: number;
  refundsSettledLater: number;
  disputesClosed: { won: number; lost: number };
  replays: WebhookReplay;
  books: Books;
  seconds: { setup: number; traffic: number; closing: number; total: number };
  /** Per step of a session: calls, p50 and p95 in milliseconds. */
  steps: Array<{ step: string; calls: number; p50: number; p95: number }>;
  sessionsPerSecond: number;
  /** Every difference and unbilled session, one line each; empty = the day balanced to the cent. */
  problems: string[];
}

/** The stack's environment: the emulator, no rate limit (NODE_ENV test), the sweeper's cron declared but left to us. */
function dayEnv(options: DayOptions, emulator: StripeEmulator): NodeJS.ProcessEnv {
  return {
    ...process.env,
    NODE_ENV: 'test',
    LOG_LEVEL: options.logLevel ?? 'silent',
    DATABASE_URL: options.databaseUrl,
    DATABASE_PREFIX: `cgsim_${randomBytes(4).toString('hex')}`,
    STRIPE_SECRET_KEY: 'sk_test_emulator',
    STRIPE_API_HOST: emulator.clientOptions.host,
    STRIPE_API_PORT: String(emulator.clientOptions.port),
    STRIPE_API_PROTOCOL: 'http',
    // Everything runs in this one process (the emulator too): under load an answer may take seconds, and a provider
    // call given up too early is a hold failed for nothing. A timed-out call is retried by the SDK within the
    // gateway's deadline for a subgraph.
    STRIPE_TIMEOUT_MS: '5000',
    SUBGRAPH_TIMEOUT_MS: '30000',
    // The sweeper's queue is worked in the payment subgraph, its cron fires once a year: the day triggers it itself.
    SWEEPER_CRON: '0 0 1 1 *',
    SWEEPER_GRACE_MS: '0',
    SWEEPER_REFUND_SETTLE_AFTER_MS: '0',
    SWEEPER_DISPUTE_RECHECK_AFTER_MS: '0',
    // A 3-D Secure start waits for the provider's webhook, which may queue behind the day's other events.
    SESSION_START_TIMEOUT_MS: '300000',
  };
}

/** Re-sends the newest `limit` events of each account (and the platform's), oldest first, signed as the provider would. */
async function replayWebhooks(stripe: Stripe, url: string, accounts: string[], limit: number): Promise<WebhookReplay> {
  const replay: WebhookReplay = { sent: 0, failed: 0, applied: 0 };
  for (const account of [undefined, ...accounts]) {
    const events = await stripe.events.list({ limit }, account ? { stripeAccount: account } : undefined);
    for (const event of [...events.data].reverse()) {
      const payload = JSON.stringify(event);
      const secret = event.account ? 'whsec_emulator_connect' : 'whsec_emulator_platform';
      const response = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'stripe-signature': stripe.webhooks.generateTestHeaderString({ payload, secret }),
        },
        body: payload,
      });
      const body = (await response.json().catch(() => ({}))) as { result?: string };
      replay.sent++;
      if (response.status !== 200) replay.failed++;
      if (body.result === 'applied') replay.applied++;
    }
  }
  return replay;
}

/** The later outcome of the refund test cards (pending → succeeded, succeeded → failed), through the emulator's hook. */
async function settleRefunds(
  stripe: Stripe,
  emulator: StripeEmulator,
  outcomes: SessionOutcome[],
  operators: SimOperator[],
): Promise<number> {
  const ours = new Set(
    outcomes
      .filter((o) => o.plan.scenario === 'refundFails' || o.plan.scenario === 'refundPending')
      .flatMap((o) => o.refundIds),
  );
  let settled = 0;
  for (const operator of operators) {
    for await (const refund of stripe.refunds.list({ limit: 100 }, { stripeAccount: operator.account })) {
      if (!ours.has(refund.metadata?.refundId ?? '')) continue;
      const response = await fetch(
        `${emulator.url}/_emulator/accounts/${operator.account}/refunds/${refund.id}/settle`,
        {
          method: 'POST',
        },
      );
      if (!response.ok) throw new Error(`settling refund ${refund.id} answered ${response.status}`);
      settled++;
    }
  }
  return settled;
}

/** The card network decides every open dispute of the day: won and lost in turn. */
async function closeDisputes(
  emulator: StripeEmulator,
  operators: SimOperator[],
): Promise<{ won: number; lost: number }> {
  const closed = { won: 0, lost: 0 };
  for (const operator of operators) {
    for (const dispute of emulator.disputesOf(operator.account)) {
      if (dispute.status !== 'needs_response') continue;
      const outcome = (closed.won + closed.lost) % 2 === 0 ? 'won' : 'lost';
      const response = await fetch(
        `${emulator.url}/_emulator/accounts/${operator.account}/disputes/${dispute.id}/close?outcome=${outcome}`,
        { method: 'POST' },
      );
      if (!response.ok) throw new Error(`closing dispute ${dispute.id} answered ${response.status}`);
      closed[outcome]++;
    }
  }
  return closed;
}

/** Sends the sweeper's job now (as its cron would) and waits until the payment subgraph has worked it. */
async function sweepNow(stack: Stack): Promise<void> {
  const boss = new PgBoss({ connectionString: databaseUrl(stack.config, 'payment'), schema: 'pgboss', max: 2 });
  await boss.start();
  try {
    const id = await boss.send(Sweeper.JOB, {});
    if (!id) throw new Error('the sweep job was not queued');
    const deadline = Date.now() + 300_000;
    for (;;) {
      const job = await boss.getJobById(Sweeper.JOB, id);
      if (job?.state === 'completed') return;
      if (job?.state === 'failed' || job?.state === 'cancelled') throw new Error(`the sweep job ${job.state}`);
      if (Date.now() > deadline) throw new Error('the sweep job did not finish in 5 minutes');
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  } finally {
    await boss.stop({ graceful: false, close: true, wait: true });
  }
}

const countOf = <K extends string>(keys: K[]): Record<K, number> =>
  keys.reduce((counts, key) => ({ ...counts, [key]: (counts[key] ?? 0) + 1 }), {} as Record<K, number>);

/** Lists what does not balance; empty when every difference is 0 and no session is left unbilled. */
function problemsOf(books: Books, replays: WebhookReplay, outcomes: SessionOutcome[], planned: number): string[] {
  const problems: string[] = [];
  if (outcomes.length < planned)
    problems.push(`time limit: ${outcomes.length} of ${planned} sessions ran (the books below are of those)`);
  const failed = outcomes.filter((o) => o.status === 'ERROR');
  for (const o of failed.slice(0, 5)) problems.push(`session ${o.plan.index} (${o.plan.scenario}): ${o.error}`);
  if (failed.length > 5) problems.push(`… ${failed.length - 5} more sessions went wrong`);
  for (const o of books.operators) {
    if (o.difference !== 0)
      problems.push(`operator ${o.name}: ledger ${o.ledger} ≠ provider balance ${o.provider} ${o.currency}`);
    if (o.otherCurrencies.length) problems.push(`operator ${o.name}: balances in ${o.otherCurrencies.join(', ')}`);
  }
  for (const p of books.platform)
    if (p.difference !== 0) problems.push(`platform: fees kept ${p.ledger} ≠ balance ${p.provider} ${p.currency}`);
  for (const r of books.reconciliation)
    if (r.differences !== 0 || r.status !== 'BALANCED' || r.seenByAdmin !== r.status)
      problems.push(`reconciliation of ${r.operatorId}: ${r.status}, ${r.differences} differences`);
  if (books.unbilledSessions.length)
    problems.push(
      `${books.unbilledSessions.length} completed sessions unbilled, e.g. ${books.unbilledSessions.slice(0, 3).join(', ')}`,
    );
  if (replays.failed) problems.push(`${replays.failed} replayed webhooks were not answered 200`);
  return problems;
}

/**
 * A day of traffic through the gateway against the Stripe emulator, then the close of the day: refunds and disputes
 * settle, webhooks are replayed, the sweeper runs, and the books are compared with the provider's balances.
 */
export async function runSimulatedDay(options: DayOptions): Promise<DayReport> {
  const log = options.log ?? (() => {});
  const began = performance.now();
  const day = new Date();
  // Webhooks in parallel, as Stripe sends them: one at a time falls behind the day (3-D Secure waits for its event).
  const emulator = await startStripeEmulator({ port: 0, webhookConcurrency: 8 });
  let stack: Stack | undefined;
  const pools: pg.Pool[] = [];
  try {
    stack = await startStack({ env: dayEnv(options, emulator), ephemeralPorts: true });
    const webhookUrl = new URL('/webhooks/stripe', stack.subgraphs.payment!.url).toString();
    emulator.setWebhookUrl(webhookUrl);
    const api = new PublicApi(stack.gatewayUrl, stack.config.JWT_SECRET);
    const stripe = new Stripe('sk_test_emulator', { ...emulator.clientOptions, maxNetworkRetries: 2 });
    const adminToken = await signDevToken(platformAdmin, stack.config.JWT_SECRET);
    const operators = await createOperators(api, stack.gatewayUrl, adminToken, stripe, options.operators);
    const sessionDb = new pg.Pool({ connectionString: databaseUrl(stack.config, 'session'), max: 4 });
    const paymentDb = new pg.Pool({ connectionString: databaseUrl(stack.config, 'payment'), max: 2 });
    pools.push(sessionDb, paymentDb);
    const plans = planDay(options.sessions, operators, options.seed);
    const drivers = createDrivers(
      Math.max(options.concurrency * 2, Math.ceil(options.sessions / 20)),
      Math.max(4, Math.ceil(options.concurrency / 4)),
    );
    log(
      `${operators.length} operators onboarded (${[...new Set(operators.map((o) => o.currency))].join(', ')}); ${plans.length} sessions, ${options.concurrency} in flight`,
    );

    const trafficStarted = performance.now();
    const timings = new Map<string, number[]>();
    const current = new Map<number, string>();
    const deps = { api, emulator, drivers, sessionDb, timings, current };
    // Every 30 s: what the sessions in flight are doing (where a slow day waits).
    const watch = setInterval(() => {
      const doing = countOf([...current.values()]);
      log(
        `in flight: ${
          Object.entries(doing)
            .map(([step, n]) => `${step} ${n}`)
            .join(', ') || 'nothing'
        }`,
      );
    }, 30_000);
    watch.unref();
    const step = Math.max(1, Math.floor(plans.length / 10));
    let midDayReplay: WebhookReplay = { sent: 0, failed: 0, applied: 0 };
    const outcomes = await driveDay(
      deps,
      plans,
      options.concurrency,
      async (_outcome, done) => {
        if (done % step === 0)
          log(`${done} sessions (${(done / ((performance.now() - trafficStarted) / 1000)).toFixed(1)}/s)`);
        // Webhook replays in the middle of the traffic too: the newest events of three accounts, again.
        if (done === Math.floor(plans.length / 2))
          midDayReplay = await replayWebhooks(
            stripe,
            webhookUrl,
            operators.slice(0, 3).map((o) => o.account),
            20,
          );
      },
      () =>
        options.maxTrafficSeconds !== undefined &&
        performance.now() - trafficStarted > options.maxTrafficSeconds * 1000,
    );
    clearInterval(watch);
    const trafficSeconds = (performance.now() - trafficStarted) / 1000;
    for (const o of outcomes.filter((o) => o.status === 'ERROR').slice(0, 5))
      log(`session ${o.plan.index} (${o.plan.scenario}) went wrong: ${o.error}`);
    log(`traffic done in ${trafficSeconds.toFixed(1)} s; closing the day`);

    const closingStarted = performance.now();
    await emulator.flushWebhooks();
    const refundsSettledLater = await settleRefunds(stripe, emulator, outcomes, operators);
    const disputesClosed = await closeDisputes(emulator, operators);
    await emulator.flushWebhooks();
    const endReplay = await replayWebhooks(
      stripe,
      webhookUrl,
      operators.map((o) => o.account),
      100,
    );
    const replays = {
      sent: midDayReplay.sent + endReplay.sent,
      failed: midDayReplay.failed + endReplay.failed,
      applied: midDayReplay.applied + endReplay.applied,
    };
    emulator.faults.clear();
    await sweepNow(stack);
    await emulator.flushWebhooks();
    const books = await closeBooks({ api, stripe, operators, paymentDb, sessionDb, day });
    const closingSeconds = (performance.now() - closingStarted) / 1000;

    const providerFaultAnswers: Record<string, number> = {};
    for (const request of emulator.requests())
      if (request.status >= 500 || request.status === 429 || request.status === 0)
        providerFaultAnswers[request.status] = (providerFaultAnswers[request.status] ?? 0) + 1;
    const { log: _log, ...shown } = options;
    return {
      options: shown,
      scenarios: countOf(plans.map((p) => p.scenario)),
      outcomes: countOf(outcomes.map((o) => o.status)),
      faultsInjected: outcomes.filter((o) => o.faultArmed).length,
      providerFaultAnswers,
      apiRetries: api.retries,
      refundsSettledLater,
      disputesClosed,
      replays,
      books,
      seconds: {
        setup: (trafficStarted - began) / 1000,
        traffic: trafficSeconds,
        closing: closingSeconds,
        total: (performance.now() - began) / 1000,
      },
      sessionsPerSecond: outcomes.length / trafficSeconds,
      steps: [...timings.entries()].map(([step, list]) => {
        const sorted = [...list].sort((a, b) => a - b);
        const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)];
        return { step, calls: sorted.length, p50: at(0.5), p95: at(0.95) };
      }),
      problems: problemsOf(books, replays, outcomes, plans.length),
    };
  } finally {
    await Promise.all(pools.map((p) => p.end()));
    emulator.setWebhookUrl(undefined);
    await stack?.close();
    await emulator.close();
    if (stack && !options.keep) await dropStackDatabases(stack.config);
  }
}

/** The report as the command prints it. */
export function formatReport(report: DayReport): string {
  const { books } = report;
  const entries = (record: Record<string, number>) =>
    Object.entries(record)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ');
  const total = (record: Record<string, number>) => Object.values(record).reduce((a, b) => a + b, 0);
  const lines = [
    `simulated day: ${report.options.operators} operators, ${report.options.sessions} sessions, ${report.options.concurrency} in flight, seed ${report.options.seed}`,
    `scenarios: ${entries(report.scenarios)}`,
    `sessions: ${total(books.counts.sessions)} (${entries(books.counts.sessions)})`,
    `payments: ${total(books.counts.payments)} (${entries(books.counts.payments)})`,
    `refunds: ${total(books.counts.refunds)} (${entries(books.counts.refunds)}); settled later by the provider: ${report.refundsSettledLater}`,
    `disputes: ${total(books.counts.disputes)} (${entries(books.counts.disputes)}); closed won ${report.disputesClosed.won}, lost ${report.disputesClosed.lost}`,
    `provider faults: ${report.faultsInjected} armed; answered by the provider as ${entries(report.providerFaultAnswers) || 'none'} (0 = no answer); API calls sent again: ${report.apiRetries}`,
    `webhook replays: ${report.replays.sent} sent, ${report.replays.failed} not 200, ${report.replays.applied} applied anew`,
    '',
    'operator      Σ captured − refunds − disputes lost − provider fees − app fees = ledger | provider balance | difference',
    ...books.operators.map(
      (o) =>
        `${o.name.padEnd(8)} ${o.currency}  ${String(o.captured).padStart(10)} − ${String(o.refunds).padStart(8)} − ${String(o.disputesLost).padStart(6)} − ${String(o.providerFees).padStart(7)} − ${String(o.applicationFees).padStart(7)} = ${String(o.ledger).padStart(10)} | ${String(o.provider).padStart(10)} | ${o.difference}`,
    ),
    ...books.platform.map(
      (p) =>
        `platform ${p.currency}: Σ application fees kept ${p.ledger} | balance ${p.provider} | difference ${p.difference}`,
    ),
    `reconciliation: ${books.reconciliation.reduce((n, r) => n + r.matched, 0)} matched, ${books.reconciliation.reduce((n, r) => n + r.differences, 0)} differences`,
    `completed sessions left unbilled: ${books.unbilledSessions.length}`,
    '',
    `steps (ms): ${report.steps.map((s) => `${s.step} ${s.calls}× p50 ${s.p50.toFixed(0)} p95 ${s.p95.toFixed(0)}`).join('; ')}`,
    `time: setup ${report.seconds.setup.toFixed(1)} s, traffic ${report.seconds.traffic.toFixed(1)} s, close of day ${report.seconds.closing.toFixed(1)} s, total ${report.seconds.total.toFixed(1)} s; ${report.sessionsPerSecond.toFixed(1)} sessions/s`,
    report.problems.length ? `FAIL:\n  ${report.problems.join('\n  ')}` : 'OK: every difference 0, no session unbilled',
  ];
  return lines.join('\n');
}
