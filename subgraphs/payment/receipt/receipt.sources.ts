import DataLoader from 'dataloader';
import type { EntityClient } from '../../../platform/entity-client.js';
import { DomainError, ErrorCode } from '../../../platform/errors.js';
import type { LoaderFactory } from '../../../platform/subgraph/context.js';
import type { SessionDirectory, SessionForReceipt } from '../charging-session/session.directory.js';

/** The merchant of record, as the operator subgraph holds it (legal fields may still be unset). */
export interface OperatorForReceipt {
  id: string;
  name: string;
  legalName: string | null;
  legalAddress: string | null;
  vatId: string | null;
}

export interface StationForReceipt {
  id: string;
  name: string;
  address: { street: string; city: string; postalCode: string; country: string };
}

export interface ReceiptFacts {
  session: SessionForReceipt;
  operator: OperatorForReceipt;
  station: StationForReceipt | null;
}

export interface ReceiptSubject {
  sessionId: string;
  operatorId: string;
}

const OPERATOR_FIELDS = 'id name legalName legalAddress vatId';
const STATION_FIELDS = 'id name address { street city postalCode country }';

/**
 * What a receipt copies from the subgraphs that own it, asked as a service (never from the client): the session from
 * the session subgraph, the merchant from the operator subgraph, the station's name and address from the station
 * subgraph. Asked before the numbering transaction opens, so no counter row is locked during these calls; for
 * several receipts at once (a page of payments) in one `_entities` call per owner.
 */
export class ReceiptSources {
  constructor(
    private readonly sessions: SessionDirectory,
    private readonly entities: EntityClient,
  ) {}

  async gather(subject: ReceiptSubject): Promise<ReceiptFacts> {
    const [facts] = await this.gatherAll([subject]);
    if (facts instanceof Error) throw facts;
    return facts;
  }

  /** Facts per subject, in order; an Error for a subject whose session or operator is unknown to its owner. */
  async gatherAll(subjects: readonly ReceiptSubject[]): Promise<Array<ReceiptFacts | Error>> {
    const sessionIds = unique(subjects.map((s) => s.sessionId));
    const operatorIds = unique(subjects.map((s) => s.operatorId));
    const [sessions, operators] = await Promise.all([
      this.sessions.forReceipts(sessionIds),
      this.entities.resolve<OperatorForReceipt>('operator', 'Operator', operatorIds, OPERATOR_FIELDS),
    ]);
    const sessionById = byId(sessions);
    const operatorById = byId(operators);
    const stationIds = unique([...sessionById.values()].map((s) => s.station.id));
    const stationById = byId(
      await this.entities.resolve<StationForReceipt>('station', 'Station', stationIds, STATION_FIELDS),
    );
    return subjects.map(({ sessionId, operatorId }) => {
      const session = sessionById.get(sessionId);
      const operator = operatorById.get(operatorId);
      if (!session) return missing('session', sessionId);
      if (!operator) return missing('operator', operatorId);
      // A station that no longer exists leaves the receipt without one; an unreachable subgraph fails the issue.
      return { session, operator, station: stationById.get(session.station.id) ?? null };
    });
  }

  /** One batch of facts per request tick (every receipt of a page asked at once). */
  readonly loader: LoaderFactory<ReceiptSubject, ReceiptFacts> = () =>
    new DataLoader<ReceiptSubject, ReceiptFacts, string>((subjects) => this.gatherAll(subjects), {
      cacheKeyFn: (subject) => subject.sessionId,
    });
}

const unique = (ids: string[]) => [...new Set(ids)];

function byId<T extends { id: string }>(rows: Array<T | null>): Map<string, T> {
  return new Map(rows.filter((row): row is T => row !== null).map((row) => [row.id, row]));
}

const missing = (what: string, id: string) =>
  new DomainError(ErrorCode.UPSTREAM_UNAVAILABLE, `The ${what} ${id} of this payment could not be read; try again.`);
