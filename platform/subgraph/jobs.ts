import PgBoss from 'pg-boss';
import type { Logger } from 'pino';

/** Jobs a worker takes per poll (and runs at once). */
const JOBS_PER_POLL = 10;

/** A recurring or one-off job: its handler gets the job's data; a throw makes pg-boss retry it (with backoff). */
export type JobHandler<T extends object> = (data: T) => Promise<void>;

export interface JobQueueOptions {
  /** The owning process's own database: jobs live beside the rows they act on (schema `pgboss`). */
  connectionString: string;
  logger: Logger;
  /** How often an idle worker asks for work (default 2 s; tests pass less). */
  pollingIntervalSeconds?: number;
}

/**
 * Background work on pg-boss (a PostgreSQL job queue): each job is taken by exactly one worker across every replica
 * (SKIP LOCKED), survives restarts, retries with backoff, and crons fire once per slot whatever the replica count.
 */
export class JobQueue {
  private constructor(
    private readonly boss: PgBoss,
    private readonly options: JobQueueOptions,
  ) {}

  static async start(options: JobQueueOptions): Promise<JobQueue> {
    const boss = new PgBoss({ connectionString: options.connectionString, schema: 'pgboss', max: 3 });
    boss.on('error', (error: Error) => options.logger.error({ err: error }, 'job queue error'));
    await boss.start();
    return new JobQueue(boss, options);
  }

  /** Creates the queue (idempotent) and works it in this process; failures are retried `retryLimit` times. */
  async work<T extends object>(
    name: string,
    handler: JobHandler<T>,
    queue: Omit<PgBoss.Queue, 'name'> = {},
  ): Promise<void> {
    await this.boss.createQueue(name, { name, retryLimit: 5, retryDelay: 5, retryBackoff: true, ...queue });
    // A batch per poll, its jobs run side by side: one job per poll would cap a queue at one job per polling
    // interval. Each job fails on its own (pg-boss then completes only the jobs still active).
    await this.boss.work<T>(
      name,
      { pollingIntervalSeconds: this.options.pollingIntervalSeconds ?? 2, batchSize: JOBS_PER_POLL },
      async (jobs) => {
        await Promise.all(
          jobs.map(async (job) => {
            try {
              await handler(job.data);
            } catch (error) {
              this.options.logger.warn({ err: error, job: name, jobId: job.id }, 'job failed; pg-boss retries it');
              await this.boss.fail(name, job.id, { message: error instanceof Error ? error.message : String(error) });
            }
          }),
        );
      },
    );
  }

  /** Enqueues one job; `singletonKey` makes a second send for the same key a no-op while the first waits. */
  send<T extends object>(name: string, data: T, options: PgBoss.SendOptions = {}): Promise<string | null> {
    return this.boss.send(name, data, options);
  }

  /** A cron (minute resolution) that fires once per slot across all replicas. */
  schedule(name: string, cron: string, data: object = {}): Promise<void> {
    return this.boss.schedule(name, cron, data);
  }

  /** Stops taking jobs, lets running ones finish (bounded), closes the pool. */
  async stop(): Promise<void> {
    await this.boss.stop({ graceful: true, timeout: 10_000, close: true, wait: true });
  }
}
