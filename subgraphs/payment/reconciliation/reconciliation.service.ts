import type { Logger } from 'pino';
import type { JobQueue } from '../../../platform/subgraph/jobs.js';
import { OperatorPaymentAccount } from '../account/account.entity.js';
import { LedgerEntry } from '../ledger/ledger-entry.entity.js';
import type { Orm } from '../locks.js';
import { countReconciliationDifference } from '../metrics.js';
import type { PaymentProvider } from '../stripe/provider.js';
import { ReconciliationDifference, ReconciliationRun } from './reconciliation.entity.js';
import { matchBooks } from './reconciliation.match.js';
import { ReconciliationStatus } from './reconciliation.types.js';

/** A period of UTC dates [from, to), YYYY-MM-DD. */
export interface ReconciliationPeriod {
  from: string;
  to: string;
}

interface ReconcileJob {
  operatorId?: string;
  from?: string;
  to?: string;
}

const DAY_MS = 24 * 3600_000;
/** Transactions this close to the period are read too: money booked on the other side of midnight is not missing. */
const NEIGHBOURHOOD_MS = DAY_MS;

const utcDate = (at: Date) => at.toISOString().slice(0, 10);

/**
 * Reconciliation with the provider: reads an operator's connected-account balance transactions (and the platform's
 * application fees taken from it) for a period, matches them one by one with the ledger (reconciliation.match.ts)
 * and stores the run with its differences. Runs on the job queue: nightly for the previous UTC day, one job per
 * operator; on demand when `Operator.reconciliation` finds no run for the asked period.
 */
export class ReconciliationService {
  static readonly JOB = 'payment-reconcile';

  constructor(
    private readonly orm: Orm,
    private readonly provider: PaymentProvider,
    private readonly logger: Logger,
    private jobs?: JobQueue,
  ) {}

  /**
   * Works the queue and declares the nightly cron. A job without operator fans out one job per payable operator
   * (each retried on its own); a job without period takes the previous UTC day.
   */
  async schedule(jobs: JobQueue, cron: string | null): Promise<void> {
    this.jobs = jobs;
    await jobs.work<ReconcileJob>(ReconciliationService.JOB, (data) => this.runJob(data), {
      retryLimit: 3,
      expireInSeconds: 30 * 60,
    });
    if (cron) await jobs.schedule(ReconciliationService.JOB, cron);
  }

  /** The latest run of the period; none yet: one is queued and a QUEUED placeholder returned. */
  async latestOrQueue(operatorId: string, period: ReconciliationPeriod): Promise<ReconciliationRun> {
    const run = await this.latest(operatorId, period);
    if (run) return run;
    await this.queue(operatorId, period);
    const placeholder = new ReconciliationRun();
    Object.assign(placeholder, {
      operatorId,
      periodFrom: period.from,
      periodTo: period.to,
      status: ReconciliationStatus.QUEUED,
    });
    return placeholder;
  }

  async latest(operatorId: string, period: ReconciliationPeriod): Promise<ReconciliationRun | null> {
    return this.orm.em
      .fork()
      .findOne(
        ReconciliationRun,
        { operatorId, periodFrom: period.from, periodTo: period.to },
        { orderBy: { createdAt: 'desc', id: 'desc' }, populate: ['differences'] },
      );
  }

  /** Queues a run; a second request for the same operator and period is a no-op while the first waits. */
  async queue(operatorId: string, period: ReconciliationPeriod): Promise<void> {
    if (!this.jobs) throw new Error('reconciliation: no job queue');
    await this.jobs.send<ReconcileJob>(
      ReconciliationService.JOB,
      { operatorId, ...period },
      { singletonKey: `${operatorId}:${period.from}:${period.to}` },
    );
  }

  private async runJob(data: ReconcileJob): Promise<void> {
    const period = data.from && data.to ? { from: data.from, to: data.to } : previousDay(new Date());
    if (data.operatorId) {
      const run = await this.reconcile(data.operatorId, period);
      if (run.status === ReconciliationStatus.FAILED) throw new Error(`reconciliation failed: ${run.error ?? ''}`);
      return;
    }
    const accounts = await this.orm.em
      .fork()
      .find(OperatorPaymentAccount, { providerAccountId: { $ne: null } }, { fields: ['operatorId'] });
    for (const account of accounts) await this.queue(account.operatorId, period);
  }

  /** Runs one reconciliation now and stores it (a FAILED run when the provider could not be read). */
  async reconcile(operatorId: string, period: ReconciliationPeriod): Promise<ReconciliationRun> {
    const em = this.orm.em.fork();
    const run = em.create(ReconciliationRun, {
      operatorId,
      periodFrom: period.from,
      periodTo: period.to,
      status: ReconciliationStatus.FAILED,
    });
    const from = new Date(`${period.from}T00:00:00Z`);
    const to = new Date(`${period.to}T00:00:00Z`);
    try {
      const account = await em.findOne(OperatorPaymentAccount, { operatorId });
      const accountId = account?.providerAccountId;
      const window = {
        from: new Date(from.getTime() - NEIGHBOURHOOD_MS),
        to: new Date(to.getTime() + NEIGHBOURHOOD_MS),
      };
      const connected = accountId ? await this.provider.listBalanceTransactions(accountId, window) : [];
      const platform = accountId
        ? (await this.provider.listBalanceTransactions(null, window)).filter((t) => t.feeAccountId === accountId)
        : [];
      const txnIds = connected.map((t) => t.id);
      const chargeIds = [...new Set([...connected, ...platform].flatMap((t) => (t.chargeId ? [t.chargeId] : [])))];
      const entries = await em.find(
        LedgerEntry,
        {
          operatorId,
          $or: [
            { occurredAt: { $gte: from, $lt: to } },
            ...(txnIds.length ? [{ providerTransactionId: { $in: txnIds } }] : []),
            ...(chargeIds.length ? [{ providerObjectId: { $in: chargeIds } }] : []),
          ],
        },
        { orderBy: { occurredAt: 'asc', id: 'asc' } },
      );
      const result = matchBooks({ period: { from, to }, connected, platform, entries });
      run.matched = result.matched;
      run.status = result.differences.length ? ReconciliationStatus.UNBALANCED : ReconciliationStatus.BALANCED;
      for (const found of result.differences) {
        run.differences.add(em.create(ReconciliationDifference, { run, ...found }));
        countReconciliationDifference(found.kind, found.currency);
        this.logger.warn(
          { operatorId, period, ...found },
          'reconciliation difference between the ledger and the payment provider',
        );
      }
    } catch (error) {
      run.error = (error instanceof Error ? error.message : String(error)).slice(0, 500);
      this.logger.error({ err: error, operatorId, period }, 'reconciliation could not read the payment provider');
    }
    run.finishedAt = new Date();
    await em.flush();
    this.logger.info(
      { operatorId, period, status: run.status, matched: run.matched, differences: run.differences.length },
      'reconciliation finished',
    );
    return run;
  }
}

/** Yesterday, in UTC dates (the nightly run's period). */
export function previousDay(now: Date): ReconciliationPeriod {
  const today = new Date(`${utcDate(now)}T00:00:00Z`);
  return { from: utcDate(new Date(today.getTime() - DAY_MS)), to: utcDate(today) };
}
