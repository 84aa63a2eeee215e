import pg from 'pg';
import type { Config, SubgraphName } from './config.js';

// Naming, creating and dropping databases needs only pg: processes without an ORM (gateway, bus) use this file.

/** Each subgraph owns a database of its own on the configured server. */
export function databaseUrl(config: Pick<Config, 'DATABASE_URL' | 'DATABASE_PREFIX'>, subgraph: SubgraphName): string {
  const url = new URL(config.DATABASE_URL);
  url.pathname = `/${config.DATABASE_PREFIX}_${subgraph}`;
  return url.toString();
}

/** Creates the database if it is missing (first start, fresh CI machine). */
export async function ensureDatabase(url: string): Promise<void> {
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.slice(1));
  const maintenance = new URL(url);
  maintenance.pathname = '/postgres';
  const client = new pg.Client({ connectionString: maintenance.toString() });
  await client.connect();
  try {
    const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (exists.rowCount === 0) {
      // Identifier quoting: the name comes from validated config, not from clients.
      await client.query(`CREATE DATABASE "${name.replaceAll('"', '""')}"`).catch((error: { code?: string }) => {
        // Created concurrently by a sibling process: 42P04, or 23505 when both passed the catalogue check at once.
        if (error.code !== '42P04' && error.code !== '23505') throw error;
      });
    }
  } finally {
    await client.end();
  }
}

export async function dropDatabase(url: string): Promise<void> {
  const name = decodeURIComponent(new URL(url).pathname.slice(1));
  const maintenance = new URL(url);
  maintenance.pathname = '/postgres';
  const client = new pg.Client({ connectionString: maintenance.toString() });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS "${name.replaceAll('"', '""')}" WITH (FORCE)`);
  } finally {
    await client.end();
  }
}
