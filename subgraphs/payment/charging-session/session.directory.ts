import type { EntityClient } from '../../../platform/entity-client.js';

/** What the payment subgraph learns about a session from its owner, as a service. Never from client input. */
export interface SessionFacts {
  id: string;
  /** PENDING (waiting for the charger), ACTIVE, COMPLETED, FAILED, CANCELLED. */
  status: string;
  driverId: string;
  operator: { id: string };
  /** The station's time zone at start (null for old sessions); the payment keeps it for analytics. */
  timeZone?: string | null;
}

export interface SessionForHold extends SessionFacts {
  tariff: { preAuthorization: { amount: number; currency: string } | null } | null;
}

export interface SessionForCharge extends SessionFacts {
  cost: { total: { amount: number; currency: string } | null } | null;
}

type Amount = { amount: number; currency: string };

/** What a receipt copies from the session: its times, energy, station, tax rate and priced parts. */
export interface SessionForReceipt extends SessionFacts {
  startedAt: string;
  endedAt: string | null;
  energyWh: number;
  station: { id: string };
  tariff: { currency: string; taxRateBasisPoints: number };
  cost: { energy: Amount; time: Amount; sessionFee: Amount; tax: Amount; total: Amount };
}

export interface CompletedSession {
  id: string;
  startedAt: string;
  endedAt: string | null;
}

const BASE = 'id status driverId operator { id } timeZone';

/** The session subgraph, seen from the payment subgraph. */
export class SessionDirectory {
  constructor(private readonly entities: EntityClient) {}

  /** Status, driver and operator only. */
  facts(sessionId: string): Promise<SessionFacts | null> {
    return this.entities.resolveOne<SessionFacts>('session', 'ChargingSession', sessionId, BASE);
  }

  forHold(sessionId: string): Promise<SessionForHold | null> {
    return this.entities.resolveOne<SessionForHold>(
      'session',
      'ChargingSession',
      sessionId,
      `${BASE} tariff { preAuthorization { amount currency } }`,
    );
  }

  forCharge(sessionId: string): Promise<SessionForCharge | null> {
    return this.entities.resolveOne<SessionForCharge>(
      'session',
      'ChargingSession',
      sessionId,
      `${BASE} cost { total { amount currency } }`,
    );
  }

  /** Several sessions in one `_entities` call (the receipts of a page of payments). */
  forReceipts(sessionIds: string[]): Promise<Array<SessionForReceipt | null>> {
    const amount = '{ amount currency }';
    return this.entities.resolve<SessionForReceipt>(
      'session',
      'ChargingSession',
      sessionIds,
      `${BASE} startedAt endedAt energyWh station { id } tariff { currency taxRateBasisPoints } cost { energy ${amount} time ${amount} sessionFee ${amount} tax ${amount} total ${amount} }`,
    );
  }

  /** One page of COMPLETED sessions, newest first (the session subgraph's order). Sweeper only (errors are not for clients). */
  async completed(
    first: number,
    after?: string,
  ): Promise<{ sessions: CompletedSession[]; endCursor: string | null; hasNextPage: boolean }> {
    const query = `query ($first: Int!, $after: String) {
      chargingSessions(filter: { status: COMPLETED }, first: $first, after: $after) { edges { node { id startedAt endedAt } } pageInfo { hasNextPage endCursor } }
    }`;
    type Page = {
      chargingSessions: {
        edges: Array<{ node: CompletedSession }>;
        pageInfo: { hasNextPage: boolean; endCursor: string | null };
      };
    };
    const data = await this.entities.query<Page>('session', query, { first, after: after ?? null });
    const page = data.chargingSessions;
    return {
      sessions: page.edges.map((e) => e.node),
      endCursor: page.pageInfo.endCursor,
      hasNextPage: page.pageInfo.hasNextPage,
    };
  }
}
