import type { EntityManager } from '@mikro-orm/postgresql';
import type { Logger } from 'pino';
import { badInput, conflict, DomainError, ErrorCode, notFound } from '../../../platform/errors.js';
import type { Identity } from '../../../platform/identity.js';
import { requireChargeSession, requireService, requireSessionDriver } from '../access.js';
import type { AccountService } from '../account/account.service.js';
import { DriverCustomer, SavedPaymentMethod } from '../card/card.entity.js';
import type { CardService } from '../card/card.service.js';
import {
  actionRequiredArgs,
  declinedArgs,
  paymentMethodRequired,
  sessionNotActive,
  sessionNotCompleted,
} from '../errors.js';
import { isUuid } from '../../../platform/ids.js';
import { LockNamespace, locked, type Orm } from '../locks.js';
import { isMinorUnits, nonNegativeInteger } from '../../../platform/money.js';
import type { SessionDirectory, SessionForCharge, SessionForHold } from '../charging-session/session.directory.js';
import { idempotencyKey } from '../provider/idempotency-keys.js';
import { ProviderFailure, type PaymentProvider } from '../provider/payment-provider.js';
import { applicationFeeFor, ZERO_FEE, type FeePolicy } from './fees.js';
import { accountOf, Payment } from './payment.entity.js';
import { AttemptKind, canStartNewAttempt, PaymentStatus } from './payment.status.js';
import { countCappedCapture } from '../metrics.js';
import {
  applyIntent,
  applySettlement,
  fixAmount,
  flag,
  markCanceled,
  markFailed,
  openAttempt,
  raiseAuthorization,
  recordUnbillable,
  settleAtZero,
} from './payment.transitions.js';
import { Books } from '../ledger/books.js';
import { LedgerEntryKind } from '../ledger/ledger-entry.entity.js';
import type { ProviderIntent } from '../provider/payment-provider.js';

export interface PaymentServiceDeps {
  orm: Orm;
  provider: PaymentProvider;
  accounts: AccountService;
  cards: CardService;
  sessions: SessionDirectory;
  logger: Logger;
}

/** The answer to `incrementSessionHold`. */
export interface HoldIncrement {
  incremented: boolean;
  authorizedAmount: number;
  reason: string | null;
}

/** A hold is placed while the session waits for the charger (PENDING) or charges (ACTIVE). */
const HOLDABLE = new Set(['PENDING', 'ACTIVE']);
/** A hold is released only for sessions that ended without a charge; a COMPLETED one is captured. */
const RELEASABLE = new Set(['FAILED', 'CANCELLED']);

/** What one locked provider step ended with; a client error is thrown only after its state is committed. */
interface Outcome {
  payment: Payment | null;
  error?: DomainError;
}

/**
 * The money flow of a session: hold at start, targeted charge at the end.
 *
 * Exactly once, per session:
 *  1. decide under the session's advisory lock and COMMIT the attempt (PENDING row: payment id + attempt number)
 *     before any provider call — a crash after the provider acted leaves a row whose ids give the same keys;
 *  2. in a second locked transaction, call the provider with keys derived from those ids and write the result;
 *     a provider outage rolls back only step 2, so the retry replays the same keys (the provider answers from
 *     its idempotency store instead of charging again);
 *  3. the unique session id, the forward-only state machine and the row version stop everything else.
 */
export class PaymentService {
  constructor(private readonly deps: PaymentServiceDeps) {}

  // ---- hold ----------------------------------------------------------------------------------------------

  /** The driver places the hold on the operator's account for the tariff's pre-authorisation, with their card. */
  async authorize(identity: Identity, sessionId: string, savedPaymentMethodId: string): Promise<Payment> {
    const session = await this.sessionForHold(sessionId);
    requireSessionDriver(identity, session);
    if (session.status !== 'ACTIVE') throw sessionNotActive(session.status);
    const card = await this.deps.cards.active(this.deps.orm.em.fork(), session.driverId, savedPaymentMethodId);
    return this.hold(session, card);
  }

  /**
   * The session subgraph places the hold when a session starts (PENDING: waiting for the charger, or ACTIVE), with
   * the given card (it must be the session driver's) or the driver's newest. Same path as `authorize`.
   */
  async placeSessionHold(identity: Identity, sessionId: string, savedPaymentMethodId?: string): Promise<Payment> {
    requireService(identity);
    const session = await this.sessionForHold(sessionId);
    if (!HOLDABLE.has(session.status)) throw sessionNotActive(session.status);
    const em = this.deps.orm.em.fork();
    const card = savedPaymentMethodId
      ? await this.deps.cards.active(em, session.driverId, savedPaymentMethodId)
      : await this.deps.cards.newest(em, session.driverId);
    if (!card) throw paymentMethodRequired();
    return this.hold(session, card);
  }

  /** Steps 1 and 2 of a hold: commit the attempt, then place it at the provider (a retry gets the same payment). */
  private async hold(session: SessionForHold, card: SavedPaymentMethod): Promise<Payment> {
    const sessionId = session.id;
    const hold = session.tariff?.preAuthorization;
    if (!hold || hold.amount <= 0)
      throw conflict("This session's tariff has no pre-authorisation amount: it is charged when it completes.");
    nonNegativeInteger(hold.amount, 'hold amount');
    const account = await this.deps.accounts.payable(this.deps.orm.em.fork(), session.operator.id);

    const act = await locked(this.deps.orm, LockNamespace.SESSION, sessionId, async (tx) => {
      const existing = await tx.findOne(Payment, { sessionId });
      // Held, being held, paid: this call is a retry; it gets the same payment.
      if (existing && !canStartNewAttempt(existing.status)) return existing.status === PaymentStatus.PENDING;
      const payment =
        existing ??
        tx.create(Payment, {
          sessionId,
          operatorId: session.operator.id,
          driverId: session.driverId,
          kind: AttemptKind.HOLD,
          providerAccountId: account.providerAccountId,
          currency: hold.currency,
          timeZone: session.timeZone ?? null,
        });
      openAttempt(
        payment,
        {
          kind: AttemptKind.HOLD,
          providerAccountId: account.providerAccountId,
          currency: hold.currency.toUpperCase(),
          authorizedAmount: hold.amount,
          amount: null,
          applicationFeeAmount: null,
          card,
        },
        existing !== null,
        existing ? await Books.open(tx, existing.id) : Books.fresh(tx),
      );
      await tx.flush();
      return true;
    });
    return this.finish(sessionId, act);
  }

  /**
   * Cancels the uncaptured hold of a session that ended without being charged (FAILED, CANCELLED); null when it has
   * no payment. Idempotent: a released hold is returned as it is. A hold whose placing was cut short (PENDING, the
   * provider's answer unknown) is first replayed with its own keys, so a hold the provider did place is released too.
   */
  async releaseSessionHold(identity: Identity, sessionId: string): Promise<Payment | null> {
    requireService(identity);
    const session = isUuid(sessionId) ? await this.deps.sessions.facts(sessionId) : null;
    if (!session) throw notFound('ChargingSession', sessionId);
    if (!RELEASABLE.has(session.status))
      throw new DomainError(
        ErrorCode.CONFLICT,
        session.status === 'COMPLETED'
          ? 'The session is COMPLETED: its hold is captured by chargeSession, not released.'
          : `The session is ${session.status}; its hold is released once it has FAILED or was CANCELLED.`,
        { sessionStatus: session.status },
      );
    const current = await this.deps.orm.em.fork().findOne(Payment, { sessionId });
    if (!current) return null;
    // Declined → the row is gone; placed → AUTHORIZED or REQUIRES_ACTION; provider down → throws, the caller retries.
    if (current.kind === AttemptKind.HOLD && current.status === PaymentStatus.PENDING) await this.advance(sessionId);
    return locked(this.deps.orm, LockNamespace.SESSION, sessionId, async (tx) => {
      const payment = await tx.findOne(Payment, { sessionId });
      if (!payment) return null;
      const open = payment.status === PaymentStatus.AUTHORIZED || payment.status === PaymentStatus.REQUIRES_ACTION;
      if (payment.kind !== AttemptKind.HOLD || !open || payment.amount != null) return payment;
      const intent = await this.deps.provider.cancel(
        { paymentIntentId: requiredIntent(payment), account: accountOf(payment), reason: 'abandoned' },
        idempotencyKey.cancel(payment.id, payment.attempt),
      );
      const books = await Books.open(tx, payment.id);
      if (!applyIntent(payment, intent, books) && payment.status !== PaymentStatus.CANCELED)
        markCanceled(payment, books);
      await tx.flush();
      return payment;
    });
  }

  /**
   * Raises a session's hold to `amount` (the new total to authorise) with an incremental authorisation on the
   * operator's account (`increment:<paymentId>:<attempt>:<amount>`). A decline, a card that does not support it or
   * a hold that is not (or no longer) an open authorisation is an answer (`incremented: false` + reason), not an
   * error; a hold that already covers `amount` answers `incremented: true` (a retry after a lost answer).
   */
  async incrementSessionHold(identity: Identity, sessionId: string, amount: number): Promise<HoldIncrement> {
    requireService(identity);
    if (!isMinorUnits(amount) || amount === 0)
      throw badInput('amount is a positive integer of minor units (the new total to authorise).', 'amount');
    if (!isUuid(sessionId)) throw notFound('ChargingSession', sessionId);
    return locked(this.deps.orm, LockNamespace.SESSION, sessionId, async (tx) => {
      const payment = await tx.findOne(Payment, { sessionId });
      if (!payment || payment.kind !== AttemptKind.HOLD)
        return { incremented: false, authorizedAmount: 0, reason: 'no_hold' };
      const authorized = payment.authorizedAmount ?? 0;
      if (payment.status !== PaymentStatus.AUTHORIZED || payment.amount != null)
        return { incremented: false, authorizedAmount: authorized, reason: 'hold_not_open' };
      if (amount <= authorized) return { incremented: true, authorizedAmount: authorized, reason: null };
      const paymentIntentId = requiredIntent(payment);
      const account = accountOf(payment);
      if (!(await this.deps.provider.incrementalAuthorizationAvailable(paymentIntentId, account)))
        return { incremented: false, authorizedAmount: authorized, reason: 'incremental_authorization_unavailable' };
      const result = await this.deps.provider.incrementAuthorization(
        { paymentIntentId, account, amount },
        idempotencyKey.increment(payment.id, payment.attempt, amount),
      );
      if (result.outcome !== 'incremented') {
        this.deps.logger.info(
          { sessionId, paymentId: payment.id, amount, outcome: result.outcome, reason: result.reason },
          'hold not incremented',
        );
        return { incremented: false, authorizedAmount: authorized, reason: result.reason };
      }
      raiseAuthorization(payment, result.intent.amountCapturable, await Books.open(tx, payment.id));
      await tx.flush();
      const now = payment.authorizedAmount ?? authorized;
      return { incremented: now >= amount, authorizedAmount: now, reason: now >= amount ? null : 'not_raised' };
    });
  }

  // ---- targeted charge -----------------------------------------------------------------------------------

  /**
   * Charges a COMPLETED session on its operator's account: captures the hold, or charges the driver's newest card
   * off-session. Amount and operator come from the session subgraph, never from the client.
   */
  async charge(identity: Identity, sessionId: string): Promise<Payment> {
    const session = await this.sessionForCharge(sessionId);
    requireChargeSession(identity, session);
    if (session.status !== 'COMPLETED') throw sessionNotCompleted(session.status);
    const total = session.cost?.total;
    if (!total) throw new Error(`completed session ${sessionId} has no total cost`);
    nonNegativeInteger(total.amount, 'session total');

    // Most retries (double taps, concurrent callers, the sweeper) end here without taking the lock.
    const paid = await this.deps.orm.em.fork().findOne(Payment, { sessionId, status: PaymentStatus.SUCCEEDED });
    if (paid) return paid;

    const act = await locked(this.deps.orm, LockNamespace.SESSION, sessionId, (tx) =>
      this.planCharge(tx, session, { amount: total.amount, currency: total.currency.toUpperCase() }),
    );
    const payment = await this.finish(sessionId, act);
    if (payment.status === PaymentStatus.REQUIRES_ACTION)
      throw new DomainError(
        ...actionRequiredArgs(
          'The driver must complete the card authentication for this session before it can be charged.',
        ),
      );
    if (payment.status === PaymentStatus.FAILED) throw failureOf(payment); // a concurrent caller saw the decline first
    return payment;
  }

  /** Step 1 of a charge: fix the final amount and fee (or open a new off-session attempt) and commit it. */
  private async planCharge(
    tx: EntityManager,
    session: SessionForCharge,
    total: { amount: number; currency: string },
  ): Promise<boolean> {
    const payment = await tx.findOne(Payment, { sessionId: session.id });
    if (payment?.status === PaymentStatus.SUCCEEDED) return false;

    if (payment && !canStartNewAttempt(payment.status)) {
      // A hold (or an attempt in flight): the final amount is fixed once, before the provider sees it.
      if (payment.amount == null) {
        if (payment.currency !== total.currency)
          throw new Error(`session ${session.id} is priced in ${total.currency} but held in ${payment.currency}`);
        const amount = this.cappedAtHold(session.id, payment, total.amount);
        fixAmount(
          payment,
          {
            amount,
            applicationFeeAmount: applicationFeeFor(amount, await this.feePolicy(tx, session.operator.id)),
            uncollected: total.amount - amount,
          },
          await Books.open(tx, payment.id),
        );
        await tx.flush();
      }
      return true;
    }

    // No payment yet, or the last attempt failed / was canceled: an off-session charge of the full amount.
    const account = await this.deps.accounts.payable(tx, session.operator.id);
    const card = total.amount > 0 ? await this.deps.cards.newest(tx, session.driverId) : null;
    if (total.amount > 0 && !card) throw paymentMethodRequired();
    // The same card declined this session before: retrying it (e.g. concurrent or repeated calls) would only be
    // declined again, and repeated declines get merchants blocked. A new card (or a non-card failure) reopens.
    if (
      payment?.status === PaymentStatus.FAILED &&
      payment.attempt > 0 &&
      payment.savedPaymentMethodId === card?.id &&
      !NOT_CARD_FAILURES.has(payment.failureCode ?? '')
    ) {
      throw failureOf(payment);
    }
    const target =
      payment ??
      tx.create(Payment, {
        sessionId: session.id,
        operatorId: session.operator.id,
        driverId: session.driverId,
        kind: AttemptKind.CHARGE,
        providerAccountId: account.providerAccountId,
        currency: total.currency,
        timeZone: session.timeZone ?? null,
      });
    openAttempt(
      target,
      {
        kind: AttemptKind.CHARGE,
        providerAccountId: account.providerAccountId,
        currency: total.currency,
        authorizedAmount: null,
        amount: total.amount,
        applicationFeeAmount: applicationFeeFor(total.amount, account.feePolicy),
        card,
      },
      payment !== null,
      payment ? await Books.open(tx, payment.id) : Books.fresh(tx),
    );
    await tx.flush();
    return true;
  }

  /**
   * With a hold the driver is never charged more than was authorised: a total above it is capped (and logged and
   * counted, the operator did not collect the rest). Without a hold (a CHARGE attempt) the total stands.
   */
  private cappedAtHold(sessionId: string, payment: Payment, total: number): number {
    if (payment.kind !== AttemptKind.HOLD || payment.authorizedAmount == null || total <= payment.authorizedAmount)
      return total;
    const authorized = payment.authorizedAmount;
    this.deps.logger.warn(
      { sessionId, paymentId: payment.id, total, authorized, currency: payment.currency },
      'session cost more than its hold: capture capped at the authorised amount',
    );
    countCappedCapture(payment.currency, total - authorized);
    return authorized;
  }

  // ---- step 2: the provider calls ------------------------------------------------------------------------

  /** Runs step 2 when step 1 asked for it, then returns the payment or throws the client error it ended with. */
  private async finish(sessionId: string, act: boolean): Promise<Payment> {
    const outcome = act
      ? await this.advance(sessionId)
      : { payment: await this.deps.orm.em.fork().findOne(Payment, { sessionId }) };
    if (outcome.error) throw outcome.error;
    if (!outcome.payment) throw new Error(`payment of session ${sessionId} vanished`);
    return outcome.payment;
  }

  /** Moves the session's current attempt as far as the provider lets it, under the lock; safe to repeat. */
  advance(sessionId: string): Promise<Outcome> {
    return locked(this.deps.orm, LockNamespace.SESSION, sessionId, async (tx) => {
      const payment = await tx.findOne(Payment, { sessionId });
      if (!payment) return { payment: null };
      const books = await Books.open(tx, payment.id);
      try {
        await this.step(tx, payment, books);
      } catch (error) {
        // Declines and authentication failures are answers, not outages: record them, then tell the client.
        if (error instanceof ProviderFailure && error.kind !== 'unavailable') {
          const kept = this.recordFailure(tx, payment, error, books);
          await tx.flush();
          return { payment: kept, error };
        }
        throw error; // outage: roll back; the committed PENDING attempt replays the same keys next time
      }
      await tx.flush();
      return { payment };
    });
  }

  private async step(tx: EntityManager, payment: Payment, books: Books): Promise<void> {
    if (payment.status === PaymentStatus.REQUIRES_ACTION && payment.paymentIntentId) {
      // The driver may have completed 3-D Secure since: ask the provider.
      const intent = await this.deps.provider.retrieveIntent(payment.paymentIntentId, accountOf(payment));
      await this.applyAndBook(payment, intent, books);
    }
    if (payment.status === PaymentStatus.PENDING) {
      if (payment.kind === AttemptKind.HOLD) await this.placeHold(tx, payment, books);
      else await this.chargeOffSession(tx, payment, books);
    }
    if (payment.status === PaymentStatus.AUTHORIZED && payment.amount != null) await this.settleHold(payment, books);
  }

  /**
   * Applies the provider's view of an intent and, once it succeeded, books the money it moved from the charge's
   * balance transaction (one more provider read; a replay books nothing twice). True when the payment changed.
   */
  private async applyAndBook(payment: Payment, intent: ProviderIntent, books: Books): Promise<boolean> {
    const changed = applyIntent(payment, intent, books);
    const booked = books.sum(LedgerEntryKind.CAPTURED) + books.sum(LedgerEntryKind.CHARGED) > 0;
    if (payment.status !== PaymentStatus.SUCCEEDED || !payment.amount || booked) return changed;
    if (!intent.latestChargeId || intent.id !== payment.paymentIntentId) return changed;
    const charge = await this.deps.provider.retrieveCharge(intent.latestChargeId, accountOf(payment));
    return applySettlement(payment, charge, books) || changed;
  }

  private async placeHold(tx: EntityManager, payment: Payment, books: Books): Promise<void> {
    const paymentMethodId = await this.cloneCard(tx, payment);
    const intent = await this.deps.provider.createHold(
      {
        account: accountOf(payment),
        amount: requiredAmount(payment.authorizedAmount),
        currency: payment.currency,
        paymentMethodId,
        paymentId: payment.id,
        sessionId: payment.sessionId,
        attempt: payment.attempt,
      },
      idempotencyKey.hold(payment.id, payment.attempt),
    );
    await this.applyAndBook(payment, intent, books);
  }

  /**
   * The hold becomes the charge:
   *  - total ≤ hold: capture exactly the total (`amount_to_capture`), the rest of the hold is released;
   *  - total = 0: cancel the hold; the payment is SUCCEEDED with amount 0;
   *  - a total above the hold was capped at the authorised amount in step 1 (`cappedAtHold`): never more.
   */
  private async settleHold(payment: Payment, books: Books): Promise<void> {
    const paymentIntentId = requiredIntent(payment);
    const authorized = requiredAmount(payment.authorizedAmount);
    const amount = requiredAmount(payment.amount);
    if (amount === 0) {
      await this.deps.provider.cancel(
        { paymentIntentId, account: accountOf(payment), reason: 'abandoned' },
        idempotencyKey.cancel(payment.id, payment.attempt),
      );
      settleAtZero(payment, books);
      return;
    }
    if (amount > authorized) throw new Error(`payment ${payment.id}: ${amount} planned above the hold ${authorized}`);
    const intent = await this.deps.provider.capture(
      {
        paymentIntentId,
        account: accountOf(payment),
        amount,
        applicationFeeAmount: payment.applicationFeeAmount ?? 0,
      },
      idempotencyKey.capture(payment.id, payment.attempt),
    );
    await this.applyAndBook(payment, intent, books);
  }

  private async chargeOffSession(tx: EntityManager, payment: Payment, books: Books): Promise<void> {
    const amount = requiredAmount(payment.amount);
    if (amount === 0) {
      settleAtZero(payment, books);
      return;
    }
    const paymentMethodId = await this.cloneCard(tx, payment);
    const intent = await this.deps.provider.createCharge(
      {
        account: accountOf(payment),
        amount,
        currency: payment.currency,
        paymentMethodId,
        paymentId: payment.id,
        sessionId: payment.sessionId,
        attempt: payment.attempt,
        applicationFeeAmount: payment.applicationFeeAmount ?? 0,
      },
      idempotencyKey.charge(payment.id, payment.attempt),
    );
    await this.applyAndBook(payment, intent, books);
  }

  /** The driver's platform card, cloned onto the operator's account (direct charges happen there). */
  private async cloneCard(tx: EntityManager, payment: Payment): Promise<string> {
    const card = payment.savedPaymentMethodId
      ? await tx.findOne(SavedPaymentMethod, { id: payment.savedPaymentMethodId })
      : null;
    const customer = await tx.findOne(DriverCustomer, { driverId: payment.driverId });
    if (!card || !customer) throw new Error(`payment ${payment.id} has no card or customer to charge`);
    const clone = await this.deps.provider.clonePaymentMethod(
      {
        customerId: customer.providerCustomerId,
        paymentMethodId: card.providerPaymentMethodId,
        account: accountOf(payment),
      },
      idempotencyKey.clone(payment.id, payment.attempt),
    );
    return clone.id;
  }

  /**
   * A declined hold leaves nothing behind (the row goes, so a new card starts over with new ids and keys); a
   * declined charge stays FAILED with its reason, so operators and the sweeper see it.
   */
  private recordFailure(tx: EntityManager, payment: Payment, failure: ProviderFailure, books: Books): Payment | null {
    const firstHold =
      payment.kind === AttemptKind.HOLD && payment.attempt === 1 && payment.status === PaymentStatus.PENDING;
    markFailed(payment, failure.failureCode, failure.failureMessage, books); // the ledger keeps it either way
    if (firstHold) {
      tx.remove(payment);
      return null;
    }
    return payment;
  }

  // ---- sweeper -------------------------------------------------------------------------------------------

  /**
   * Marks a completed session that could not be charged automatically. Without a payment yet, a FAILED row with
   * attempt 0 records why (no card, operator not payable); a later chargeSession opens attempt 1 from it.
   */
  async flagUnbilled(sessionId: string, reason: string): Promise<void> {
    const session = await this.sessionForCharge(sessionId);
    const total = session.cost?.total;
    await locked(this.deps.orm, LockNamespace.SESSION, sessionId, async (tx) => {
      const payment = await tx.findOne(Payment, { sessionId });
      if (payment?.status === PaymentStatus.SUCCEEDED) return;
      if (payment) {
        flag(payment, reason);
      } else {
        const row = tx.create(Payment, {
          sessionId,
          operatorId: session.operator.id,
          driverId: session.driverId,
          kind: AttemptKind.CHARGE,
          providerAccountId: null,
          currency: (total?.currency ?? 'XXX').toUpperCase(),
          timeZone: session.timeZone ?? null,
        });
        recordUnbillable(row, total?.amount ?? null, reason, Books.fresh(tx));
      }
      await tx.flush();
    });
  }

  // ---- webhooks --------------------------------------------------------------------------------------------

  /** Applies the provider's current state of one of our intents (re-fetched, so event order does not matter). */
  async applyProviderIntent(tx: EntityManager, payment: Payment, paymentIntentId: string): Promise<boolean> {
    const intent = await this.deps.provider.retrieveIntent(paymentIntentId, accountOf(payment));
    const applied = await this.applyAndBook(payment, intent, await Books.open(tx, payment.id));
    await tx.flush();
    return applied;
  }

  private async feePolicy(em: EntityManager, operatorId: string): Promise<FeePolicy> {
    const account = await this.deps.accounts.find(em, operatorId);
    return account?.feePolicy ?? ZERO_FEE;
  }

  private async sessionForHold(sessionId: string): Promise<SessionForHold> {
    const session = isUuid(sessionId) ? await this.deps.sessions.forHold(sessionId) : null;
    if (!session) throw notFound('ChargingSession', sessionId);
    return session;
  }

  private async sessionForCharge(sessionId: string): Promise<SessionForCharge> {
    const session = isUuid(sessionId) ? await this.deps.sessions.forCharge(sessionId) : null;
    if (!session) throw notFound('ChargingSession', sessionId);
    return session;
  }
}

// ---- helpers ---------------------------------------------------------------------------------------------

/** Failures recorded without the card being tried (the sweeper's flags): the next attempt may use the same card. */
const NOT_CARD_FAILURES = new Set(['payment_method_required', 'operator_not_payable']);

/** The recorded failure of the current attempt, as the typed error the client acts on. */
function failureOf(payment: Payment): DomainError {
  if (payment.failureCode === 'authentication_required') return new DomainError(...actionRequiredArgs());
  return new DomainError(
    ...declinedArgs(
      payment.failureCode ?? 'card_declined',
      payment.failureMessage ?? 'The card was declined; save another card and try again.',
    ),
  );
}

function requiredAmount(amount: number | null | undefined): number {
  if (amount == null) throw new Error('payment amount is not set');
  return amount;
}

function requiredIntent(payment: Payment): string {
  if (!payment.paymentIntentId) throw new Error(`payment ${payment.id} has no payment intent`);
  return payment.paymentIntentId;
}
