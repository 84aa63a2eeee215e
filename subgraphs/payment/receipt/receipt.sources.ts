import type { EntityClient } from '../../../platform/entity-client.js';
import { DomainError, ErrorCode } from '../../../platform/errors.js';
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

/**
 * What a receipt copies from the subgraphs that own it, asked as a service (never from the client): the session from
 * the session subgraph, the merchant from the operator subgraph, the station's name and address from the station
 * subgraph. Asked before the numbering transaction opens, so no counter row is locked during these calls.
 */
export class ReceiptSources {
  constructor(
    private readonly sessions: SessionDirectory,
    private readonly entities: EntityClient,
  ) {}

  async gather(sessionId: string, operatorId: string): Promise<ReceiptFacts> {
    const [session, operator] = await Promise.all([
      this.sessions.forReceipt(sessionId),
      this.entities.resolveOne<OperatorForReceipt>(
        'operator',
        'Operator',
        operatorId,
        'id name legalName legalAddress vatId',
      ),
    ]);
    if (!session) throw missing('session', sessionId);
    if (!operator) throw missing('operator', operatorId);
    // A station that no longer exists leaves the receipt without one; an unreachable subgraph fails the issue.
    const station = await this.entities.resolveOne<StationForReceipt>(
      'station',
      'Station',
      session.station.id,
      'id name address { street city postalCode country }',
    );
    return { session, operator, station };
  }
}

const missing = (what: string, id: string) =>
  new DomainError(ErrorCode.UPSTREAM_UNAVAILABLE, `The ${what} ${id} of this payment could not be read; try again.`);
