/**
 * Automatic persisted queries shared by every gateway replica: Apollo Server keeps APQ in process memory by default,
 * so a hash registered on one replica is unknown to the next one the load balancer picks. Here the hash → query
 * entries live in the gateway's own PostgreSQL database (`<DATABASE_PREFIX>_gateway`, table `apq_cache`).
 * Errors are misses: with the database away, clients fall back to sending the full query (the APQ protocol's
 * PERSISTED_QUERY_NOT_FOUND round trip), and nothing fails.
 * Entries found are also kept in this process's memory until they expire (bounded, least recently used out): a hash
 * names one query text for ever, so a copy can never be wrong, and a persisted-query GET (the CDN-cacheable kind)
 * needs no round trip to PostgreSQL to learn its query.
 */
import type { KeyValueCache, KeyValueCacheSetOptions } from '@apollo/utils.keyvaluecache';
import { LRUCache } from 'lru-cache';
import pg from 'pg';
import type { Logger } from 'pino';
import { ensureDatabase } from '../platform/database-admin.js';

export const APQ_TABLE = 'apq_cache';
const DEFAULT_TTL_SECONDS = 24 * 3600;
/** Characters of query text kept in memory. */
const MEMORY_BYTES = 16 * 1024 * 1024;

export class PostgresApqCache implements KeyValueCache<string> {
  private pool?: pg.Pool;
  private ready?: Promise<pg.Pool>;
  private warned = false;
  private readonly memory = new LRUCache<string, string>({
    maxSize: MEMORY_BYTES,
    sizeCalculation: (value, key) => value.length + key.length,
  });

  constructor(
    private readonly url: string,
    private readonly logger: Logger,
  ) {}

  /** The pool, once the database and table exist; a failure is retried on the next call. */
  private open(): Promise<pg.Pool> {
    this.ready ??= (async () => {
      await ensureDatabase(this.url);
      const pool = new pg.Pool({
        connectionString: this.url,
        max: 3,
        idleTimeoutMillis: 10_000,
        connectionTimeoutMillis: 2_000,
      });
      pool.on('error', () => {}); // a dropped idle connection; the next query opens another
      await pool.query(
        `create table if not exists ${APQ_TABLE} (key text primary key, value text not null, expires_at timestamptz not null)`,
      );
      this.pool = pool;
      return pool;
    })().catch((error: unknown) => {
      this.ready = undefined;
      throw error;
    });
    return this.ready;
  }

  async get(key: string): Promise<string | undefined> {
    const known = this.memory.get(key);
    if (known !== undefined) return known;
    return this.quietly(async (pool) => {
      const { rows } = await pool.query<{ value: string; ttl_ms: number }>(
        `select value, extract(epoch from expires_at - now()) * 1000 as ttl_ms
           from ${APQ_TABLE} where key = $1 and expires_at > now()`,
        [key],
      );
      const found = rows[0];
      if (found) this.memory.set(key, found.value, { ttl: Math.max(1, Math.floor(Number(found.ttl_ms))) });
      return found?.value;
    });
  }

  async set(key: string, value: string, options?: KeyValueCacheSetOptions): Promise<void> {
    const ttl = options?.ttl ?? DEFAULT_TTL_SECONDS;
    await this.quietly(async (pool) => {
      await pool.query(
        `insert into ${APQ_TABLE} (key, value, expires_at) values ($1, $2, now() + make_interval(secs => $3))
         on conflict (key) do update set value = excluded.value, expires_at = excluded.expires_at`,
        [key, value, ttl],
      );
      this.memory.set(key, value, { ttl: ttl * 1000 });
      // Expired entries go now and then, by whichever replica happens to write.
      if (Math.random() < 0.01) await pool.query(`delete from ${APQ_TABLE} where expires_at < now()`);
    });
  }

  async delete(key: string): Promise<boolean | void> {
    this.memory.delete(key);
    await this.quietly((pool) => pool.query(`delete from ${APQ_TABLE} where key = $1`, [key]));
  }

  async close(): Promise<void> {
    await this.ready?.catch(() => undefined);
    await this.pool?.end().catch(() => undefined);
  }

  private async quietly<T>(work: (pool: pg.Pool) => Promise<T>): Promise<T | undefined> {
    try {
      const result = await work(await this.open());
      this.warned = false;
      return result;
    } catch (error) {
      if (!this.warned)
        this.logger.warn(
          { reason: (error as Error).message },
          'persisted query cache unavailable; clients send full queries meanwhile',
        );
      this.warned = true;
      return undefined;
    }
  }
}
