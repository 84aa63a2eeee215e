import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Identity } from '../../../platform/identity.js';
import { countStatements } from '../../../test/support/sql-counter.js';
import {
  GET,
  UNKNOWN_ID,
  adminOf,
  analyst,
  chargerService,
  createOperator,
  createStation,
  createTariff,
  dataOf,
  errorCode,
  newDriver,
  partner,
  platformAdmin,
  startHarness,
  startOk,
  stop,
  type CreatedStation,
  type Harness,
  type SessionView,
} from './harness.js';

let h: Harness;
let voltia: string;
let rival: string;
let voltiaStation: CreatedStation;
let rivalStation: CreatedStation;
const alice = newDriver();
const bob = newDriver();
const carol = newDriver();
/** Every session of this file, oldest first. */
const sessions: SessionView[] = [];

beforeAll(async () => {
  h = await startHarness();
  voltia = await createOperator(h, 'Voltia');
  rival = await createOperator(h, 'Rival');
  voltiaStation = await createStation(h, voltia, await createTariff(h, voltia), 3);
  rivalStation = await createStation(h, rival, await createTariff(h, rival), 1);

  const aliceFirst = await startOk(h, alice, voltiaStation.id, voltiaStation.connectors[0].id);
  dataOf(await stop(h, alice, aliceFirst.id));
  const carols = await startOk(h, carol, voltiaStation.id, voltiaStation.connectors[2].id);
  dataOf(await stop(h, carol, carols.id));
  const bobs = await startOk(h, bob, rivalStation.id, rivalStation.connectors[0].id);
  const aliceSecond = await startOk(h, alice, voltiaStation.id, voltiaStation.connectors[1].id);
  sessions.push(aliceFirst, carols, bobs, aliceSecond);
});
afterAll(() => h.destroy());

const LIST = `query ($filter: ChargingSessionFilter, $first: Int, $after: String) {
  chargingSessions(filter: $filter, first: $first, after: $after) { edges { cursor node { id driverId operator { id } } } pageInfo { hasNextPage endCursor } }
}`;
type Page = {
  chargingSessions: {
    edges: Array<{ cursor: string; node: { id: string; driverId: string; operator: { id: string } } }>;
    pageInfo: { hasNextPage: boolean; endCursor: string | null };
  };
};

const list = (who: Identity, variables: Record<string, unknown> = {}) => h.session.run<Page>(LIST, variables, who);
const idsOf = (page: Page) => page.chargingSessions.edges.map((e) => e.node.id);
/** Ids of the given sessions, newest first (the order lists use). */
const newestFirst = (...picked: SessionView[]) =>
  picked
    .map((s) => s.id)
    .sort()
    .reverse();

describe('chargingSessions', () => {
  it('shows a driver only their own sessions, newest first', async () => {
    expect(idsOf(dataOf(await list(alice)))).toEqual(newestFirst(sessions[0], sessions[3]));
    expect(idsOf(dataOf(await list(bob)))).toEqual([sessions[2].id]);
  });

  it("shows an operator admin only its operator's sessions; a filter cannot widen that", async () => {
    expect(idsOf(dataOf(await list(adminOf(voltia))))).toEqual(newestFirst(sessions[0], sessions[1], sessions[3]));
    expect(idsOf(dataOf(await list(adminOf(rival))))).toEqual([sessions[2].id]);
    expect(idsOf(dataOf(await list(adminOf(voltia), { filter: { operatorId: rival } })))).toEqual([]);
    expect(idsOf(dataOf(await list(alice, { filter: { stationId: rivalStation.id } })))).toEqual([]);
  });

  it.each([
    ['a platform admin', platformAdmin],
    ['a service', chargerService],
    ['an analyst', analyst],
  ])('shows %s every session', async (_who, identity) => {
    expect(idsOf(dataOf(await list(identity)))).toEqual(newestFirst(...sessions));
  });

  it('filters by status, station and operator', async () => {
    expect(idsOf(dataOf(await list(platformAdmin, { filter: { status: 'ACTIVE' } })))).toEqual(
      newestFirst(sessions[2], sessions[3]),
    );
    expect(idsOf(dataOf(await list(platformAdmin, { filter: { stationId: rivalStation.id } })))).toEqual([
      sessions[2].id,
    ]);
    expect(idsOf(dataOf(await list(platformAdmin, { filter: { operatorId: voltia, status: 'COMPLETED' } })))).toEqual(
      newestFirst(sessions[0], sessions[1]),
    );
    const bad = await list(platformAdmin, { filter: { stationId: 'nope' } });
    expect(bad.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', fields: ['stationId'] });
  });

  it('pages with opaque cursors in one SQL statement per page', async () => {
    const seen: string[] = [];
    let after: string | null = null;
    for (let i = 0; i < 10; i++) {
      let page: Page | undefined;
      // Only this request's own statements: a settle job on the same ORM may run meanwhile.
      const statements = await countStatements(
        h.session.orm,
        async () => {
          page = dataOf(await list(platformAdmin, { first: 1, after }));
        },
        { within: true },
      );
      expect(statements).toBe(1);
      seen.push(...idsOf(page!));
      if (!page!.chargingSessions.pageInfo.hasNextPage) break;
      after = page!.chargingSessions.pageInfo.endCursor;
    }
    expect(seen).toEqual(newestFirst(...sessions));
    expect(errorCode(await list(platformAdmin, { after: 'bogus' }))).toBe('BAD_USER_INPUT');
    expect(errorCode(await list(platformAdmin, { first: 1000 }))).toBe('BAD_USER_INPUT');
  });

  it('refuses anonymous callers (UNAUTHENTICATED) and partners (FORBIDDEN)', async () => {
    expect(errorCode(await list({}))).toBe('UNAUTHENTICATED');
    expect(errorCode(await list(partner))).toBe('FORBIDDEN');
  });
});

describe('chargingSession', () => {
  const get = (who: Identity, id: string) => h.session.run<{ chargingSession: SessionView }>(GET, { id }, who);

  it('returns a session to its driver, its operator and readers of everything', async () => {
    for (const who of [alice, adminOf(voltia), analyst, platformAdmin]) {
      expect(dataOf(await get(who, sessions[0].id)).chargingSession.id).toBe(sessions[0].id);
    }
  });

  it("answers NOT_FOUND for someone else's session, exactly as for an unknown one", async () => {
    const unknown = await get(alice, UNKNOWN_ID);
    expect(errorCode(unknown)).toBe('NOT_FOUND');
    for (const who of [bob, adminOf(rival)]) {
      const result = await get(who, sessions[0].id);
      expect(errorCode(result)).toBe('NOT_FOUND');
      expect(result.errors?.[0].message).toBe(unknown.errors?.[0].message.replace(UNKNOWN_ID, sessions[0].id));
    }
    expect(errorCode(await get(alice, 'not-a-uuid'))).toBe('NOT_FOUND');
    expect(errorCode(await get({}, sessions[0].id))).toBe('UNAUTHENTICATED');
  });
});

describe('federation', () => {
  // What the payment subgraph reads when it charges a session.
  const PAYMENT_VIEW = `query ($r: [_Any!]!) { _entities(representations: $r) {
    ... on ChargingSession { id status operator { id } driverId cost { total { amount currency } } tariff { preAuthorization { amount currency } } }
  } }`;
  const representations = (...ids: string[]) => ({ r: ids.map((id) => ({ __typename: 'ChargingSession', id })) });

  it('resolves sessions for a service with the operator and the fixed total, in one SQL statement', async () => {
    let result: Awaited<ReturnType<typeof h.session.run>> | undefined;
    const statements = await countStatements(
      h.session.orm,
      async () => {
        result = await h.session.run(
          PAYMENT_VIEW,
          representations(sessions[0].id, sessions[2].id, UNKNOWN_ID, 'not-a-uuid'),
          chargerService,
        );
      },
      { within: true },
    );
    expect(statements).toBe(1);
    expect(dataOf(result!)).toEqual({
      _entities: [
        // Stopped right after start, no energy: fee 50 + tax 9.5 → 10 (time is under 0.5 ct for the first 15 s).
        {
          id: sessions[0].id,
          status: 'COMPLETED',
          operator: { id: voltia },
          driverId: alice.sub,
          cost: { total: { amount: 60, currency: 'EUR' } },
          tariff: { preAuthorization: { amount: 5000, currency: 'EUR' } },
        },
        // Still running: priced up to now, so its time component grows while the test runs.
        {
          id: sessions[2].id,
          status: 'ACTIVE',
          operator: { id: rival },
          driverId: bob.sub,
          cost: { total: { amount: expect.any(Number), currency: 'EUR' } },
          tariff: { preAuthorization: { amount: 5000, currency: 'EUR' } },
        },
        null,
        null,
      ],
    });
  });

  it("resolves another driver's session to null and refuses anonymous callers", async () => {
    const asBob = await h.session.run<{ _entities: Array<{ id: string } | null> }>(
      PAYMENT_VIEW,
      representations(sessions[0].id, sessions[2].id),
      bob,
    );
    expect(dataOf(asBob)._entities).toEqual([null, expect.objectContaining({ id: sessions[2].id })]);
    const asRivalAdmin = await h.session.run<{ _entities: Array<{ id: string } | null> }>(
      PAYMENT_VIEW,
      representations(sessions[0].id),
      adminOf(rival),
    );
    expect(dataOf(asRivalAdmin)._entities).toEqual([null]);
    const anonymous = await h.session.run(PAYMENT_VIEW, representations(sessions[0].id), {});
    expect(errorCode(anonymous)).toBe('UNAUTHENTICATED');
  });

  const STATION_SESSIONS = `query ($r: [_Any!]!, $first: Int, $after: String) { _entities(representations: $r) {
    ... on Station { id sessions(first: $first, after: $after) { edges { node { id tariff { energyPricePerKwh } cost { sessionFee { amount } } } } pageInfo { hasNextPage endCursor } } }
  } }`;
  type StationPages = {
    _entities: Array<{
      id: string;
      sessions: {
        edges: Array<{ node: { id: string; tariff: unknown; cost: unknown } }>;
        pageInfo: { hasNextPage: boolean; endCursor: string | null };
      };
    }>;
  };
  const stations = (variables: Record<string, unknown>, who: Identity) =>
    h.session.run<StationPages>(
      STATION_SESSIONS,
      { r: [voltiaStation, rivalStation].map(({ id }) => ({ __typename: 'Station', id })), ...variables },
      who,
    );
  const sessionIds = (pages: StationPages) => pages._entities.map((s) => s.sessions.edges.map((e) => e.node.id));

  it('adds Station.sessions, newest first, for many stations in one SQL statement', async () => {
    let result: Awaited<ReturnType<typeof stations>> | undefined;
    const statements = await countStatements(
      h.session.orm,
      async () => {
        result = await stations({}, platformAdmin);
      },
      { within: true },
    );
    expect(statements).toBe(1);
    expect(sessionIds(dataOf(result!))).toEqual([newestFirst(sessions[0], sessions[1], sessions[3]), [sessions[2].id]]);
    // Rows from the window-function query hydrate like any other: snapshot and price included.
    expect(result!.data!._entities[0].sessions.edges[0].node).toMatchObject({
      tariff: { energyPricePerKwh: '0.349' },
      cost: { sessionFee: { amount: 50 } },
    });
  });

  it('pages Station.sessions per station', async () => {
    const first = dataOf(await stations({ first: 2 }, platformAdmin));
    expect(first._entities.map((s) => s.sessions.pageInfo.hasNextPage)).toEqual([true, false]);
    const after = first._entities[0].sessions.pageInfo.endCursor;
    const second = dataOf(await stations({ first: 2, after }, platformAdmin));
    expect(sessionIds(second)[0]).toEqual([newestFirst(sessions[0], sessions[1], sessions[3])[2]]);
  });

  it('narrows Station.sessions to what the caller may see', async () => {
    expect(sessionIds(dataOf(await stations({}, alice)))).toEqual([newestFirst(sessions[0], sessions[3]), []]);
    expect(sessionIds(dataOf(await stations({}, adminOf(rival))))).toEqual([[], [sessions[2].id]]);
    expect(errorCode(await stations({}, {}))).toBe('UNAUTHENTICATED');
  });
});
