import type pg from 'pg';
import type { FaultKind, StripeEmulator } from '../../dev/stripe-emulator/index.js';
import { codeOf, type PublicApi, UnexpectedAnswer } from './client.js';
import type { Card, Pool, SimDriver, SimOperator } from './world.js';

/** What happens in one session of the day. */
export type Scenario =
  | 'paid'
  | 'declined'
  | 'threeDsPaid'
  | 'threeDsAbandoned'
  | 'holdExceeded'
  | 'disputed'
  | 'refundFails'
  | 'refundPending';

export interface SessionPlan {
  index: number;
  operator: SimOperator;
  scenario: Scenario;
  card: Card;
  energyWh: number;
  /** Who charges the completed session: the driver's app, or nobody (the platform's settle job and sweeper). */
  chargedByApp: boolean;
  refund: 'none' | 'partial' | 'full';
  /** Share of the amount a partial refund gives back (per mille). */
  refundPerMille: number;
  /** A provider fault armed just before this session's charge or refund call (it hits whichever call comes next). */
  fault?: FaultKind;
}

/** A small deterministic generator (mulberry32), so a day with the same seed is the same day. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const FAULTS: FaultKind[] = ['http500', 'http429', 'timeout', 'lostResponse'];
const EVERY_SCENARIO: Scenario[] = [
  'declined',
  'threeDsPaid',
  'threeDsAbandoned',
  'holdExceeded',
  'disputed',
  'disputed',
  'refundFails',
  'refundPending',
];

/** The day's mix: mostly paid sessions, with every unhappy path a few per cent of the time. */
export function planDay(sessions: number, operators: SimOperator[], seed: number): SessionPlan[] {
  const next = random(seed);
  const plans: SessionPlan[] = [];
  for (let index = 0; index < sessions; index++) {
    const operator = operators[Math.floor(next() * operators.length)];
    const roll = next();
    // Every path at least once, however short the day; then the mix.
    const scenario: Scenario =
      index < EVERY_SCENARIO.length
        ? EVERY_SCENARIO[index]
        : roll < 0.03
          ? 'declined'
          : roll < 0.05
            ? 'threeDsPaid'
            : roll < 0.06
              ? 'threeDsAbandoned'
              : roll < 0.08
                ? 'holdExceeded'
                : roll < 0.1
                  ? 'disputed'
                  : roll < 0.11
                    ? 'refundFails'
                    : roll < 0.12
                      ? 'refundPending'
                      : 'paid';
    const card: Card = {
      paid: next() < 0.7 ? 'pm_card_visa' : 'pm_card_mastercard',
      declined: next() < 0.5 ? 'pm_card_chargeDeclined' : 'pm_card_chargeDeclinedInsufficientFunds',
      threeDsPaid: 'pm_card_authenticationRequired',
      threeDsAbandoned: 'pm_card_authenticationRequired',
      holdExceeded: 'pm_card_incrementDeclined',
      disputed: 'pm_card_createDispute',
      refundFails: 'pm_card_refundFail',
      refundPending: 'pm_card_pendingRefund',
    }[scenario] as Card;
    // 3–30 kWh; above the hold (1.5 × what it buys) when the hold is to be exceeded.
    const energyWh =
      scenario === 'holdExceeded'
        ? Math.ceil(((operator.hold * 1.5) / (operator.currency === 'JPY' ? 1 : 100) / operator.pricePerKwh) * 1000)
        : 3000 + Math.floor(next() * 27_000);
    const refundRoll = next();
    const refund =
      scenario === 'refundFails' || scenario === 'refundPending'
        ? refundRoll < 0.5
          ? 'partial'
          : 'full'
        : scenario === 'paid'
          ? refundRoll < 0.06
            ? 'partial'
            : refundRoll < 0.1
              ? 'full'
              : 'none'
          : 'none';
    const chargedByApp = !(scenario === 'paid' && refund === 'none' && next() < 0.05);
    // The first paid sessions arm each fault once, then 3 % of them one at random.
    const fault =
      index >= EVERY_SCENARIO.length && index < EVERY_SCENARIO.length + FAULTS.length * 2
        ? FAULTS[(index - EVERY_SCENARIO.length) % FAULTS.length]
        : next() < 0.03
          ? FAULTS[Math.floor(next() * FAULTS.length)]
          : undefined;
    plans.push({
      index,
      operator,
      scenario,
      card,
      energyWh,
      chargedByApp,
      refund,
      refundPerMille: 200 + Math.floor(next() * 500),
      fault,
    });
  }
  return plans;
}

export interface SessionOutcome {
  plan: SessionPlan;
  sessionId?: string;
  status: string;
  paymentId?: string;
  paid?: number;
  refundIds: string[];
  /** Whether a provider fault was armed for this session's charge or refund. */
  faultArmed?: boolean;
  /** Why the session did not go as planned (status ERROR). */
  error?: string;
}

export interface TrafficDeps {
  api: PublicApi;
  emulator: StripeEmulator;
  drivers: Map<Card, Pool<SimDriver>>;
  /** The session database: only to move a just-started session's start back (the simulated clock). */
  sessionDb: pg.Pool;
  /** Milliseconds per step of a session (save card, start, meter, stop, charge, refund), for the report. */
  timings: Map<string, number[]>;
  /** What each session in flight is doing now (its plan index → step), for the progress lines. */
  current: Map<number, string>;
}

/** Runs `work` and adds its duration to the step's timings. */
async function timed<T>(deps: TrafficDeps, index: number, step: string, work: () => Promise<T>): Promise<T> {
  const started = performance.now();
  deps.current.set(index, step);
  try {
    return await work();
  } finally {
    const list = deps.timings.get(step) ?? [];
    list.push(performance.now() - started);
    deps.timings.set(step, list);
  }
}

const SESSION = 'id status';
const PAYMENT = 'id status amount { amount currency } clientSecret';

/** Polls `check` until it answers true (webhooks arrive a moment after the provider's answer). */
async function eventually(what: string, check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let wait = 10; ; wait = Math.min(wait * 2, 200)) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, wait));
  }
}

/**
 * One session as a driver's app and the station drive it through the gateway: save the card once, start (the hold
 * is placed), 3-D Secure when asked, a meter value, stop, charge, and the operator's refunds.
 */
export async function runSession(deps: TrafficDeps, plan: SessionPlan): Promise<SessionOutcome> {
  const { api } = deps;
  const operator = plan.operator;
  const drivers = deps.drivers.get(plan.card)!;
  deps.current.set(plan.index, 'waiting for a driver');
  const driver = await drivers.take();
  deps.current.set(plan.index, 'waiting for a connector');
  const connector = await operator.connectors.take();
  const outcome: SessionOutcome = { plan, status: 'NOT_STARTED', refundIds: [] };
  let connectorFree = false;
  const freeConnector = () => {
    if (!connectorFree) operator.connectors.give(connector);
    connectorFree = true;
  };
  try {
    if (!driver.savedCardId) {
      const { savePaymentMethod } = await timed(deps, plan.index, 'savePaymentMethod', () =>
        api.must<{ savePaymentMethod: { id: string } }>(
          driver.claims,
          `mutation ($pm: String!) { savePaymentMethod(paymentMethodId: $pm) { id } }`,
          { pm: driver.card },
        ),
      );
      driver.savedCardId = savePaymentMethod.id;
    }
    const start = await timed(deps, plan.index, 'startChargingSession', () =>
      api.call<{ startChargingSession: { id: string; status: string } }>(
        driver.claims,
        `mutation ($input: StartChargingSessionInput!) { startChargingSession(input: $input) { ${SESSION} } }`,
        { input: { ...connector, paymentMethodId: driver.savedCardId } },
      ),
    );
    if (plan.scenario === 'declined') {
      if (codeOf(start) !== 'PAYMENT_DECLINED') throw new UnexpectedAnswer('declined start', start);
      outcome.status = 'DECLINED';
      return outcome;
    }
    if (!start.data) throw new UnexpectedAnswer('startChargingSession', start);
    const sessionId = start.data.startChargingSession.id;
    outcome.sessionId = sessionId;

    if (plan.scenario === 'threeDsPaid' || plan.scenario === 'threeDsAbandoned') {
      if (start.data.startChargingSession.status !== 'PENDING')
        throw new Error(`3-D Secure start ${sessionId} is ${start.data.startChargingSession.status}`);
      if (plan.scenario === 'threeDsAbandoned') {
        const { stopChargingSession } = await api.must<{ stopChargingSession: { status: string } }>(
          driver.claims,
          `mutation ($id: ID!) { stopChargingSession(id: $id) { ${SESSION} } }`,
          { id: sessionId },
        );
        outcome.status = stopChargingSession.status;
        return outcome;
      }
      await timed(deps, plan.index, '3-D Secure', () => authenticate(deps, driver, operator, sessionId));
    }

    await timed(deps, plan.index, 'backdate', () => backdate(deps.sessionDb, sessionId, plan.energyWh));
    const meter = await timed(deps, plan.index, 'recordMeterValue', () =>
      api.call(operator.admin, `mutation ($input: RecordMeterValueInput!) { recordMeterValue(input: $input) { id } }`, {
        input: { sessionId, energyWh: plan.energyWh, measuredAt: new Date().toISOString() },
      }),
    );
    // Over the hold, the platform may end the session itself (its increment was declined) before the stop arrives.
    if (
      meter.errors &&
      !(plan.scenario === 'holdExceeded' && ['SESSION_NOT_ACTIVE', 'CONFLICT'].includes(codeOf(meter)!))
    )
      throw new UnexpectedAnswer('recordMeterValue', meter);
    const stop = await timed(deps, plan.index, 'stopChargingSession', () =>
      api.call<{ stopChargingSession: { status: string } }>(
        driver.claims,
        `mutation ($id: ID!) { stopChargingSession(id: $id) { ${SESSION} } }`,
        { id: sessionId },
      ),
    );
    // Over the hold the platform may have ended it already (CONFLICT: "it has already ended (COMPLETED)").
    if (
      stop.errors &&
      !(plan.scenario === 'holdExceeded' && ['SESSION_NOT_ACTIVE', 'CONFLICT'].includes(codeOf(stop)!))
    )
      throw new UnexpectedAnswer('stopChargingSession', stop);
    outcome.status = 'COMPLETED';
    freeConnector();
    if (!plan.chargedByApp) return outcome;

    if (plan.fault && plan.refund === 'none') {
      deps.emulator.faults.injectNext(plan.fault, { method: 'POST', pathPrefix: '/v1/payment_intents/' });
      outcome.faultArmed = true;
    }
    const { chargeSession } = await timed(deps, plan.index, 'chargeSession', () =>
      api.must<{ chargeSession: { id: string; status: string; amount: { amount: number } } }>(
        driver.claims,
        `mutation ($id: ID!) { chargeSession(sessionId: $id) { ${PAYMENT} } }`,
        { id: sessionId },
      ),
    );
    if (chargeSession.status !== 'SUCCEEDED') throw new Error(`session ${sessionId} charged ${chargeSession.status}`);
    outcome.paymentId = chargeSession.id;
    outcome.paid = chargeSession.amount.amount;
    if (plan.scenario === 'holdExceeded' && outcome.paid > operator.hold)
      throw new Error(`session ${sessionId} captured ${outcome.paid} above its hold ${operator.hold}`);

    if (plan.refund !== 'none' && outcome.paid > 0) {
      if (plan.fault) {
        deps.emulator.faults.injectNext(plan.fault, { method: 'POST', pathPrefix: '/v1/refunds' });
        outcome.faultArmed = true;
      }
      const amount =
        plan.refund === 'partial' ? Math.max(1, Math.floor((outcome.paid * plan.refundPerMille) / 1000)) : undefined;
      const { refundPayment } = await timed(deps, plan.index, 'refundPayment', () =>
        api.must<{ refundPayment: { id: string; status: string } }>(
          operator.admin,
          `mutation ($input: RefundPaymentInput!) { refundPayment(input: $input) { id status } }`,
          { input: { paymentId: chargeSession.id, amount } },
        ),
      );
      outcome.refundIds.push(refundPayment.id);
    }
    return outcome;
  } catch (error) {
    // Whatever went wrong, the driver ends the session, so the connector and the driver are free for the next one.
    if (outcome.sessionId)
      await api
        .call(driver.claims, `mutation ($id: ID!) { stopChargingSession(id: $id) { ${SESSION} } }`, {
          id: outcome.sessionId,
        })
        .catch(() => undefined);
    throw error;
  } finally {
    deps.current.delete(plan.index);
    freeConnector();
    drivers.give(driver);
  }
}

/** The driver's 3-D Secure step as Stripe.js would run it, then the app confirms the start once authorised. */
async function authenticate(deps: TrafficDeps, driver: SimDriver, operator: SimOperator, sessionId: string) {
  const { chargingSession } = await deps.api.must<{ chargingSession: { payment: { clientSecret: string | null } } }>(
    driver.claims,
    `query ($id: ID!) { chargingSession(id: $id) { payment { ${PAYMENT} } } }`,
    { id: sessionId },
  );
  const secret = chargingSession.payment.clientSecret;
  if (!secret) throw new Error(`session ${sessionId} waits for 3-D Secure without a client secret`);
  const intent = secret.slice(0, secret.indexOf('_secret_'));
  const page = await fetch(
    `${deps.emulator.url}/_emulator/payment_intents/${intent}/authenticate?account=${operator.account}`,
  );
  if (!page.ok) throw new Error(`3-D Secure page answered ${page.status}`);
  await eventually(
    `session ${sessionId} confirmed after 3-D Secure`,
    async () => {
      const confirm = await deps.api.call<{ confirmChargingSessionStart: { status: string } }>(
        driver.claims,
        `mutation ($id: ID!) { confirmChargingSessionStart(id: $id) { ${SESSION} } }`,
        { id: sessionId },
      );
      if (codeOf(confirm) === 'PAYMENT_ACTION_REQUIRED') return false;
      if (!confirm.data) throw new UnexpectedAnswer('confirmChargingSessionStart', confirm);
      const { status } = confirm.data.confirmChargingSessionStart;
      if (status !== 'PENDING' && status !== 'ACTIVE')
        throw new Error(`session ${sessionId} ${status} after 3-D Secure`);
      return status === 'ACTIVE';
      // The hold is AUTHORIZED only once the provider's webhook has arrived: under load its queue may be long.
    },
    120_000,
  );
}

/**
 * The simulated clock: a day's sessions run in minutes, so a just-started session's start is moved back by the time
 * its connector needs to deliver `energyWh` (as the tests do), and its meter value "now" is plausible.
 */
async function backdate(db: pg.Pool, sessionId: string, energyWh: number): Promise<void> {
  await db.query(
    `update charging_session
        set started_at = started_at - make_interval(secs => ceil(greatest(0, $1::numeric - energy_wh) * 3.6 / connector_power_kw))
      where id = $2 and last_meter_at is null and connector_power_kw > 0`,
    [energyWh, sessionId],
  );
}

/** Runs the plans with at most `concurrency` sessions in flight; `onDone` sees each outcome as it finishes. */
export async function driveDay(
  deps: TrafficDeps,
  plans: SessionPlan[],
  concurrency: number,
  onDone: (outcome: SessionOutcome, done: number) => Promise<void> | void,
  /** Checked before each new session: true = start no more (the sessions in flight finish). */
  stop: () => boolean = () => false,
): Promise<SessionOutcome[]> {
  const outcomes: SessionOutcome[] = [];
  let next = 0;
  const worker = async () => {
    while (next < plans.length && !stop()) {
      const plan = plans[next++];
      // A session that goes wrong is a finding of the day, not the end of it: reported with the others.
      const outcome = await runSession(deps, plan).catch((error: unknown): SessionOutcome => ({
        plan,
        status: 'ERROR',
        error: error instanceof Error ? error.message : String(error),
        refundIds: [],
      }));
      outcomes.push(outcome);
      await onDone(outcome, outcomes.length);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, plans.length) }, worker));
  return outcomes;
}
