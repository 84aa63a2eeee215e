import type { Logger } from 'pino';
import { GraphQLError } from 'graphql';
import { serviceIdentity } from '../../platform/identity.js';
import type { JobQueue } from '../../platform/subgraph/jobs.js';
import type { Orm } from './locks.js';
import { Payment } from './payment/payment.entity.js';
import type { PaymentService } from './payment/payment.service.js';
import { PaymentStatus } from './payment/payment.status.js';
import type { SessionDirectory } from './charging-session/session.directory.js';
import type { RefundService, RefundSweepReport } from './refund/refund.service.js';
import type { DisputeService } from './dispute/dispute.service.js';

export interface SweepReport {
  scanned: number;
  /** Sessions that were unpaid when looked at and are paid now (by this sweep or a concurrent replica). */
  charged: number;
  alreadyPaid: number;
  flagged: Array<{ sessionId: string; reason: string }>;
  /** Transient failures (provider or session subgraph down): left for the next sweep. */
  deferred: number;
  /** Pending refunds looked at (when the sweeper has the refund service). */
  refunds?: RefundSweepReport;
  /** Open disputes re-read from the provider (when the sweeper has the dispute service). */
  disputes?: { settled: number; deferred: number };
}

export interface SweeperOptions {
  orm: Orm;
  sessions: SessionDirectory;
  payments: PaymentService;
  logger: Logger;
  /** Sessions that ended less than this long ago are left to the app's own chargeSession call. */
  graceMs: number;
  /**
   * How far back sessions are looked at (by start). The session subgraph lists newest first and has no "ended after"
   * filter, so paging stops at the first session older than this; older ones were seen by earlier sweeps.
   */
  lookbackMs: number;
  pageSize?: number;
  /** Settles refunds still PENDING `refundSettleAfterMs` after their last change (none when absent). */
  refunds?: RefundService;
  refundSettleAfterMs?: number;
  /** Re-reads disputes still OPEN `disputeRecheckAfterMs` after their last change (none when absent). */
  disputes?: DisputeService;
  disputeRecheckAfterMs?: number;
}

/** Failures recorded by the sweeper itself that a later sweep may clear (the driver adds a card, the operator onboards). */
const RETRYABLE_FLAGS = new Set(['payment_method_required', 'operator_not_payable']);
const TRANSIENT = new Set(['PAYMENT_PROVIDER_UNAVAILABLE', 'UPSTREAM_UNAVAILABLE']);

/**
 * No session is left unbilled, no refund left pending (after the sessions, refunds still PENDING past
 * `refundSettleAfterMs` are settled from the provider or re-sent: `RefundService.sweepPending`): pages through COMPLETED sessions (from the session subgraph, as a service) and
 * charges those without a succeeded payment through the same path as `chargeSession`, or flags them
 * (`needsAttention` + reason). Declined cards are flagged, not retried: re-trying a declined card is what gets a
 * merchant's retries blocked by the networks. Two replicas may sweep at once: every charge and flag runs under the
 * session's advisory lock and is idempotent, so the second one finds the work done.
 */
export class Sweeper {
  /** The pg-boss queue (and cron) of the sweep, in the payment database. */
  static readonly JOB = 'payment-sweep';
  private running?: Promise<SweepReport>;
  private readonly identity = serviceIdentity('payment-sweeper');

  constructor(private readonly options: SweeperOptions) {}

  /**
   * Works the sweep queue in this process and (re)declares its cron. pg-boss sends one job per cron slot whatever
   * the replica count and hands it to one worker; `stately` keeps at most one sweep running and one waiting, so a
   * slow sweep never piles up. A failed sweep is not retried: the next slot sweeps again.
   */
  async schedule(jobs: JobQueue, cron: string): Promise<void> {
    await jobs.work(
      Sweeper.JOB,
      async () => {
        await this.runOnce();
      },
      { policy: 'stately', retryLimit: 0, expireInSeconds: 15 * 60 },
    );
    await jobs.schedule(Sweeper.JOB, cron);
  }

  /** Waits for a sweep of this process that is still running (the job queue stops taking new ones first). */
  async stop(): Promise<void> {
    await this.running?.catch(() => undefined);
  }

  /** One pass; `overrides` let tests sweep without the grace periods. */
  runOnce(
    overrides: { now?: Date; graceMs?: number; refundSettleAfterMs?: number; disputeRecheckAfterMs?: number } = {},
  ): Promise<SweepReport> {
    this.running ??= this.sweep(
      overrides.now ?? new Date(),
      overrides.graceMs ?? this.options.graceMs,
      overrides.refundSettleAfterMs ?? this.options.refundSettleAfterMs,
      overrides.disputeRecheckAfterMs ?? this.options.disputeRecheckAfterMs,
    ).finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async sweep(
    now: Date,
    graceMs: number,
    refundSettleAfterMs: number | undefined,
    disputeRecheckAfterMs: number | undefined,
  ): Promise<SweepReport> {
    const report: SweepReport = { scanned: 0, charged: 0, alreadyPaid: 0, flagged: [], deferred: 0 };
    // Refunds and disputes first: they need only this database and the provider, not the session subgraph.
    if (this.options.refunds && refundSettleAfterMs !== undefined)
      report.refunds = await this.options.refunds.sweepPending(now, refundSettleAfterMs);
    if (this.options.disputes && disputeRecheckAfterMs !== undefined)
      report.disputes = await this.options.disputes.sweepOpen(now, disputeRecheckAfterMs);
    const pageSize = this.options.pageSize ?? 100;
    const horizon = now.getTime() - this.options.lookbackMs;
    let after: string | undefined;
    for (;;) {
      const page = await this.options.sessions.completed(pageSize, after);
      const recent = page.sessions.filter((s) => new Date(s.startedAt).getTime() >= horizon);
      const due = recent
        .filter((s) => !s.endedAt || now.getTime() - new Date(s.endedAt).getTime() >= graceMs)
        .map((s) => s.id);
      const payments = new Map(
        (await this.options.orm.em.fork().find(Payment, { sessionId: { $in: due } })).map((p) => [p.sessionId, p]),
      );
      for (const sessionId of due) {
        report.scanned += 1;
        await this.settle(sessionId, payments.get(sessionId), report);
      }
      if (!page.hasNextPage || !page.endCursor || recent.length < page.sessions.length) break;
      after = page.endCursor;
    }
    for (const failed of report.refunds?.failed ?? [])
      this.options.logger.error(failed, 'sweeper could not settle a pending refund');
    const refundsMoved = (report.refunds?.settled ?? 0) + (report.refunds?.resubmitted ?? 0);
    if (report.charged || report.flagged.length || refundsMoved)
      this.options.logger.info({ ...report, flagged: report.flagged.length }, 'sweep finished');
    return report;
  }

  private async settle(sessionId: string, payment: Payment | undefined, report: SweepReport): Promise<void> {
    if (payment?.status === PaymentStatus.SUCCEEDED) {
      report.alreadyPaid += 1;
      return;
    }
    const standing = payment && standingReason(payment);
    if (standing) {
      if (!payment.needsAttention) await this.flag(sessionId, standing, report);
      return;
    }
    try {
      const charged = await this.options.payments.charge(this.identity, sessionId);
      if (charged.status === PaymentStatus.SUCCEEDED) report.charged += 1;
    } catch (error) {
      const code = error instanceof GraphQLError ? String(error.extensions.code ?? '') : '';
      if (TRANSIENT.has(code)) {
        report.deferred += 1;
        return;
      }
      if (!(error instanceof GraphQLError))
        this.options.logger.error({ err: error, sessionId }, 'sweeper could not charge a session');
      await this.flag(sessionId, code ? code.toLowerCase() : 'internal_error', report).catch((flagError: unknown) => {
        this.options.logger.error({ err: flagError, sessionId }, 'sweeper could not flag a session');
        report.deferred += 1;
      });
    }
  }

  private async flag(sessionId: string, reason: string, report: SweepReport): Promise<void> {
    await this.options.payments.flagUnbilled(sessionId, reason);
    report.flagged.push({ sessionId, reason });
  }
}

/** Why an existing payment should not be charged again automatically, or null when the sweeper should charge it. */
function standingReason(payment: Payment): string | null {
  if (payment.status === PaymentStatus.REQUIRES_ACTION) return 'payment_action_required';
  if (payment.status === PaymentStatus.FAILED && !RETRYABLE_FLAGS.has(payment.failureCode ?? ''))
    return `declined:${payment.failureCode ?? 'unknown'}`;
  return null;
}
