import { randomUUID } from 'node:crypto';
import { Entity, PrimaryKey, type MikroORM } from '@mikro-orm/core';
import type { PostgreSqlDriver } from '@mikro-orm/postgresql';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testConfig } from '../../test/support/config.js';
import { openDatabase } from '../database.js';
import { databaseUrl, dropDatabase } from '../database-admin.js';
import { ReplayGuard } from '../replay-guard.js';

/** MikroORM wants one entity; the guard's table comes from the shared migration every subgraph database gets. */
@Entity({ tableName: 'replay_probe' })
class Probe {
  @PrimaryKey({ type: 'uuid' })
  id!: string;
}

const url = databaseUrl(testConfig(), 'operator');
const logger = pino({ level: 'silent' });
let orm: MikroORM<PostgreSqlDriver>;
let replicaA: ReplayGuard;
let replicaB: ReplayGuard;
const expiresAt = () => new Date(Date.now() + 60_000);

beforeAll(async () => {
  orm = await openDatabase({ clientUrl: url, entities: [Probe], migrations: [] });
  replicaA = new ReplayGuard(orm, logger);
  replicaB = new ReplayGuard(orm, logger); // another replica on the same database
});
afterAll(async () => {
  replicaA.close();
  replicaB.close();
  await orm.close(true);
  await dropDatabase(url);
});

describe('the replay guard', () => {
  it('accepts a token id once: presented twice at the same moment, exactly one presentation is new', async () => {
    const id = randomUUID();
    const answers = await Promise.all([replicaA.firstUse(id, expiresAt()), replicaA.firstUse(id, expiresAt())]);
    expect(answers.sort()).toEqual([false, true]);
    expect(await replicaA.firstUse(id, expiresAt())).toBe(false);
  });

  it('answers calls arriving together each for its own id', async () => {
    const ids = Array.from({ length: 30 }, () => randomUUID());
    const used = randomUUID();
    expect(await replicaA.firstUse(used, expiresAt())).toBe(true);
    const answers = await Promise.all([...ids, used].map((id) => replicaA.firstUse(id, expiresAt())));
    expect(answers).toEqual([...ids.map(() => true), false]);
    expect(await Promise.all(ids.map((id) => replicaA.firstUse(id, expiresAt())))).toEqual(ids.map(() => false));
  });

  it('refuses on every other replica a token id one replica accepted', async () => {
    const id = randomUUID();
    const [onA, onB] = await Promise.all([replicaA.firstUse(id, expiresAt()), replicaB.firstUse(id, expiresAt())]);
    expect([onA, onB].sort()).toEqual([false, true]);
    expect(await replicaB.firstUse(id, expiresAt())).toBe(false);
    expect(await replicaA.firstUse(id, expiresAt())).toBe(false);
  });
});
