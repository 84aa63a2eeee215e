import type { EntityManager } from '@mikro-orm/postgresql';
import type { Logger } from 'pino';
import type { JobQueue } from '../../../platform/subgraph/jobs.js';
import { OperatorPaymentAccount } from '../account/account.entity.js';
import { LedgerEntry } from '../ledger/ledger-entry.entity.js';
import type { Orm } from '../locks.js';
import { countReconciliationDifference } from '../metrics.js';
import type { PaymentProvider, ProviderBalanceTransaction } from '../provider/payment-provider.js';
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
  /** Set by the nightly fan-out: its runs share one read of the platform's transactions (see `platformRows`). */
  shared?: boolean;
}

const DAY_MS = 24 * 3600_000;
/** Transactions this close to the period are read too: money booked on the other side of midnight is not missing. */
const NEIGHBOURHOOD_MS = DAY_MS;

/** A run made this long after its period ended is final (late webhooks have landed: the nightly run at 02:30 is). */
const SETTLED_AFTER_MS = 3600_000;
/** A run of a period that was not over yet is redone on read once it is this old. */
const REFRESH_OPEN_AFTER_MS = 10 * 60_000;
/** How long the nightly fan-out's runs reuse one read of the platform's transactions. */
const SHARED_PLATFORM_READ_MS = 10 * 60_000;

const utcDate = (at: Date) => at.toISOString().slice(0, 10);

/**
 * Reconciliation with the provider: reads an operator's connected-account balance transactions (and the platform's
 * application fees taken from it) for a period, matches them one by one with the ledger (reconciliation.match.ts)
 * and stores the run with its differences. Runs on the job queue: nightly for the previous UTC day, one job per
 * operator; on demand when `Operator.reconciliation` finds no run for the asked period.
 */
export class ReconciliationService {
  static readonly JOB = 'payment-reconcile';
  private readonly platformReads = new Map<string, { until: number; rows: Promise<ProviderBalanceTransaction[]> }>();

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
    // `stately` + the singleton key: per operator and period at most one run waiting and one running.
    await jobs.work<ReconcileJob>(ReconciliationService.JOB, (data) => this.runJob(data), {
      policy: 'stately',
      retryLimit: 3,
      expireInSeconds: 30 * 60,
    });
    if (cron) await jobs.schedule(ReconciliationService.JOB, cron);
  }

  /**
   * The latest run of the period; none yet: one is queued and a QUEUED placeholder returned. A run made before the
   * period was over (and an hour more) is provisional: older than `REFRESH_OPEN_AFTER_MS`, it is returned and a
   * fresh one queued.
   */
  async latestOrQueue(operatorId: string, period: ReconciliationPeriod): Promise<ReconciliationRun> {
    const run = await this.latest(operatorId, period);
    if (run) {
      const finished = run.finishedAt?.getTime() ?? 0;
      const closedAt = Date.parse(`${period.to}T00:00:00Z`) + SETTLED_AFTER_MS;
      if (finished < closedAt && Date.now() - finished > REFRESH_OPEN_AFTER_MS) await this.queue(operatorId, period);
      return run;
    }
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

  /** Queues a run; a second request for the same operator and period is a no-op while the first waits (stately). */
  async queue(operatorId: string, period: ReconciliationPeriod, shared = false): Promise<void> {
    if (!this.jobs) throw new Error('reconciliation: no job queue');
    await this.jobs.send<ReconcileJob>(
      ReconciliationService.JOB,
      { operatorId, ...period, shared },
      { singletonKey: `${operatorId}:${period.from}:${period.to}` },
    );
  }

  private async runJob(data: ReconcileJob): Promise<void> {
    const period = data.from && data.to ? { from: data.from, to: data.to } : previousDay(new Date());
    if (data.operatorId) {
      const run = await this.reconcile(data.operatorId, period, data.shared ?? false);
      if (run.status === ReconciliationStatus.FAILED) throw new Error(`reconciliation failed: ${run.error ?? ''}`);
      return;
    }
    const accounts = await this.orm.em
      .fork()
      .find(OperatorPaymentAccount, { providerAccountId: { $ne: null } }, { fields: ['operatorId'] });
    for (const account of accounts) await this.queue(account.operatorId, period, true);
  }

  /**
   * The platform's transactions of the window (every operator's application fees: Stripe filters them by nothing
   * narrower). The nightly runs of all operators share one read for a few minutes, so a night costs one platform
   * read, not one per operator; other runs read afresh.
   */
  private platformRows(window: { from: Date; to: Date }, shared: boolean): Promise<ProviderBalanceTransaction[]> {
    if (!shared) return this.provider.listBalanceTransactions(null, window);
    const key = `${window.from.toISOString()}/${window.to.toISOString()}`;
    const now = Date.now();
    for (const [k, read] of this.platformReads) if (read.until < now) this.platformReads.delete(k);
    const cached = this.platformReads.get(key);
    if (cached) return cached.rows;
    const rows = this.provider.listBalanceTransactions(null, window);
    this.platformReads.set(key, { until: now + SHARED_PLATFORM_READ_MS, rows });
    rows.catch(() => this.platformReads.delete(key));
    return rows;
  }

  /** The operator's entries of the period, plus those under the provider's transaction and charge ids. */
  private async entriesOf(
    em: EntityManager,
    operatorId: string,
    period: { from: Date; to: Date },
    txnIds: string[],
    chargeIds: string[],
  ): Promise<LedgerEntry[]> {
    const found = new Map<string, LedgerEntry>();
    const add = (rows: LedgerEntry[]) => rows.forEach((e) => found.set(e.id, e));
    add(await em.find(LedgerEntry, { operatorId, occurredAt: { $gte: period.from, $lt: period.to } }));
    for (let i = 0; i < txnIds.length; i += IDS_PER_QUERY)
      add(
        await em.find(LedgerEntry, { operatorId, providerTransactionId: { $in: txnIds.slice(i, i + IDS_PER_QUERY) } }),
      );
    for (let i = 0; i < chargeIds.length; i += IDS_PER_QUERY)
      add(await em.find(LedgerEntry, { operatorId, providerObjectId: { $in: chargeIds.slice(i, i + IDS_PER_QUERY) } }));
    return [...found.values()];
  }

  /** Runs one reconciliation now and stores it (a FAILED run when the provider could not be read). */
  async reconcile(
    operatorId: string,
    period: ReconciliationPeriod,
    sharedPlatformRead = false,
  ): Promise<ReconciliationRun> {
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
        ? (await this.platformRows(window, sharedPlatformRead)).filter((t) => t.feeAccountId === accountId)
        : [];
      const txnIds = connected.map((t) => t.id);
      const chargeIds = [...new Set([...connected, ...platform].flatMap((t) => (t.chargeId ? [t.chargeId] : [])))];
      const entries = await this.entriesOf(em, operatorId, { from, to }, txnIds, chargeIds);
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

/** Ids per query: a month of a busy operator stays far below PostgreSQL's 65 535 bind parameters. */
const IDS_PER_QUERY = 5_000;

/** Yesterday, in UTC dates (the nightly run's period). */
export function previousDay(now: Date): ReconciliationPeriod {
  const today = new Date(`${utcDate(now)}T00:00:00Z`);
  return { from: utcDate(new Date(today.getTime() - DAY_MS)), to: utcDate(today) };
}
