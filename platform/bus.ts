import pg from 'pg';
import type { Logger } from 'pino';
import type { Config } from './config.js';
import { ensureDatabase } from './database-admin.js';

/**
 * Channels of the platform's message bus. Payloads are JSON, at most ~7 kB (PostgreSQL's NOTIFY limit is 8000 bytes).
 * - `ocpp_command`: a command for a charge point, picked up by the OCPP replica holding its connection.
 * - `ocpp_reply`: that replica's answer, picked up by the replica that asked.
 * - `session_changed`: `{ id }` of a charging session whose state, energy, cost or payment changed.
 */
export type BusChannel = 'ocpp_command' | 'ocpp_reply' | 'session_changed';

/** The bus lives in a database of its own (`<DATABASE_PREFIX>_bus`): it holds no tables, only channels. */
export function busDatabaseUrl(config: Pick<Config, 'DATABASE_URL' | 'DATABASE_PREFIX'>): string {
  const url = new URL(config.DATABASE_URL);
  url.pathname = `/${config.DATABASE_PREFIX}_bus`;
  return url.toString();
}

const RECONNECT_DELAY_MS = 1_000;

/**
 * Publish/subscribe over PostgreSQL LISTEN/NOTIFY: every process of every replica that subscribed to a channel gets
 * each message once, in order; nothing is stored (a process that is down misses what was sent meanwhile, so
 * subscribers treat messages as hints and read the truth from its owner).
 */
export class Bus {
  private listener: pg.Client | undefined;
  private readonly handlers = new Map<BusChannel, Set<(payload: unknown) => void>>();
  private readonly reconnectHandlers = new Set<() => void>();
  private closed = false;

  private constructor(
    private readonly url: string,
    private readonly publisher: pg.Pool,
    private readonly logger: Logger,
  ) {}

  static async connect(url: string, logger: Logger): Promise<Bus> {
    await ensureDatabase(url);
    const publisher = new pg.Pool({ connectionString: url, max: 2 });
    // An idle connection the server closed (restart, failover) must not take the process down; the pool reconnects.
    publisher.on('error', (error) => logger.warn({ err: error }, 'bus publisher connection lost'));
    const bus = new Bus(url, publisher, logger);
    await bus.listen();
    return bus;
  }

  async publish(channel: BusChannel, payload: object): Promise<void> {
    await this.publisher.query('select pg_notify($1, $2)', [channel, JSON.stringify(payload)]);
  }

  /** Several messages on one channel in one round trip (in order), e.g. a hint per session a batch changed. */
  async publishEach(channel: BusChannel, payloads: object[]): Promise<void> {
    if (payloads.length === 0) return;
    await this.publisher.query(
      'select pg_notify($1, p) from unnest($2::text[]) with ordinality as m(p, n) order by n',
      [channel, payloads.map((payload) => JSON.stringify(payload))],
    );
  }

  /** Calls `handler` for each message on `channel`; returns the unsubscribe. */
  async subscribe(channel: BusChannel, handler: (payload: unknown) => void): Promise<() => void> {
    let set = this.handlers.get(channel);
    if (!set) {
      set = new Set();
      this.handlers.set(channel, set);
      await this.listener?.query(`listen ${channel}`);
    }
    set.add(handler);
    return () => set.delete(handler);
  }

  /** Called after the listening connection was lost and is back: messages sent meanwhile were missed. */
  onReconnect(handler: () => void): () => void {
    this.reconnectHandlers.add(handler);
    return () => this.reconnectHandlers.delete(handler);
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.listener?.end().catch(() => {});
    await this.publisher.end();
  }

  /** One connection LISTENs on every subscribed channel; when it drops, a new one takes over after a pause. */
  private async listen(): Promise<void> {
    const client = new pg.Client({ connectionString: this.url });
    client.on('notification', ({ channel, payload }) => {
      let message: unknown;
      try {
        message = JSON.parse(payload ?? 'null');
      } catch {
        return this.logger.warn({ channel }, 'bus message is not JSON; dropped');
      }
      for (const handler of this.handlers.get(channel as BusChannel) ?? []) handler(message);
    });
    client.on('error', (error) => {
      this.logger.warn({ err: error }, 'bus connection lost; reconnecting');
      void client.end().catch(() => {});
      this.reconnectLater();
    });
    await client.connect();
    for (const channel of this.handlers.keys()) await client.query(`listen ${channel}`);
    this.listener = client;
  }

  private reconnectLater(): void {
    if (this.closed) return;
    this.listener = undefined;
    setTimeout(() => {
      if (this.closed) return;
      this.listen()
        .then(() => this.reconnectHandlers.forEach((handler) => handler()))
        .catch((error: unknown) => {
          this.logger.warn({ err: error }, 'bus reconnect failed; retrying');
          this.reconnectLater();
        });
    }, RECONNECT_DELAY_MS).unref();
  }
}
