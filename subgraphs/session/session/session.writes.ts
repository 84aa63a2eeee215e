import { LockMode, UniqueConstraintViolationException, type FilterQuery } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { RequestContext } from '../../../platform/subgraph/context.js';
import { conflict, DomainError, ErrorCode, notFound } from '../../../platform/errors.js';
import { isUuid } from '../../../platform/ids.js';
import type { SessionRuntime } from '../lifecycle/runtime.js';
import {
  ACTIVE_CONNECTOR_INDEX,
  ACTIVE_DRIVER_INDEX,
  ChargingSession,
  ChargingSessionStatus,
  StopReason,
  TariffSnapshot,
} from './session.entity.js';
import type { SessionScope } from '../access.js';
import { newInternalIdTag } from './id-tags.js';
import { Upstream, type UpstreamChargePoint, type UpstreamConnector, type UpstreamStation } from './upstream.js';

/** Payment errors that no retry can fix: the payment subgraph flags the session; settling does not try again. */
const RETRYABLE = new Set<string>([
  ErrorCode.UPSTREAM_UNAVAILABLE,
  ErrorCode.PAYMENT_PROVIDER_UNAVAILABLE,
  ErrorCode.SERVICE_UNAVAILABLE,
]);

/** Longer than one settle takes (a charge with the SDK's retries); a settler that crashed frees the session after it. */
const SETTLE_LEASE_MS = 2 * 60_000;

/** `busy`: another replica holds the session's settle lease right now. */
export type SettleOutcome = 'settled' | 'open' | 'already' | 'busy';

/**
 * The writes every path shares (app, charger, jobs): a session changed under its row lock, then — after the commit —
 * the bus notified and, when the change ended the session, the settle job queued.
 */
export class SessionWrites {
  readonly upstream: Upstream;

  constructor(
    readonly ctx: RequestContext,
    readonly runtime: SessionRuntime,
  ) {
    this.upstream = new Upstream(ctx.services);
  }

  get em(): EntityManager {
    return this.ctx.em;
  }

  /**
   * Changes one session under its row lock (SELECT … FOR UPDATE): meter values, starts and stops of a session run
   * one after the other, so a stop prices exactly the energy it stores and of two concurrent stops one wins.
   */
  async changeLocked<T = void>(
    where: { id: string } | { chargePointId: string; transactionId: string },
    scope: SessionScope,
    change: (session: ChargingSession, em: EntityManager) => T | Promise<T>,
  ): Promise<{ session: ChargingSession; result: T }> {
    if ('id' in where && typeof where.id === 'string' && !isUuid(where.id))
      throw notFound('Charging session', where.id);
    let wasOpen = false;
    const done = await this.em.fork().transactional(async (em) => {
      const filter: FilterQuery<ChargingSession> = { $and: [where, scope] };
      const session = await em.findOne(ChargingSession, filter, { lockMode: LockMode.PESSIMISTIC_WRITE });
      if (!session) throw notFound('Charging session', 'id' in where ? String(where.id) : '');
      wasOpen = session.isOpen();
      const result = await change(session, em);
      return { session, result };
    });
    await this.afterCommit(done.session, wasOpen);
    return done;
  }

  /** Inserts the PENDING session; the partial unique indexes decide atomically who gets the connector and the driver. */
  async open(input: {
    driverId: string;
    station: UpstreamStation;
    connector: UpstreamConnector;
    chargePoint: UpstreamChargePoint | null;
    ocppIdTag?: string;
  }): Promise<ChargingSession> {
    const { station, connector, chargePoint } = input;
    const em = this.em.fork();
    const session = em.create(ChargingSession, {
      status: ChargingSessionStatus.PENDING,
      stationId: station.id,
      connectorId: connector.id,
      driverId: input.driverId,
      operatorId: station.operator.id,
      timeZone: station.timezone,
      tariff: snapshotOf(station.tariff),
      connectorPowerKw: connector.powerKw,
      chargePointId: chargePoint?.chargePointId ?? null,
      ocppConnectorId: chargePoint ? connector.ocppConnectorId : null,
      ocppIdTag: chargePoint ? (input.ocppIdTag ?? newInternalIdTag()) : null,
      remoteStartId: chargePoint ? await this.nextval('charging_session_remote_start_id_seq') : null,
    });
    try {
      await em.flush();
    } catch (error) {
      throw activeSessionConflict(error, connector.id);
    }
    await this.runtime.changed(session.id);
    return session;
  }

  /** The next value of one of our OCPP id sequences. */
  async nextval(sequence: 'charging_session_remote_start_id_seq' | 'charging_session_transaction_id_seq') {
    const [row] = await this.em
      .getConnection()
      .execute<Array<{ id: number }>>(`select nextval('${sequence}')::int as id`);
    return row.id;
  }

  /**
   * Tells an ACTIVE session's charger to stop for `reason`, recording the request first: the charger may report the
   * stop before its answer to the command is back (always so across replicas), and the session must then end with
   * this reason, not CHARGER. A refused or failed command withdraws the request (a failure is rethrown).
   * 'already': a stop is under way, or the session is not ACTIVE at a charger.
   */
  async stopAtCharger(
    sessionId: string,
    scope: SessionScope,
    reason: StopReason,
    now = new Date(),
  ): Promise<'stopping' | 'already' | 'refused'> {
    const { result: target } = await this.changeLocked({ id: sessionId }, scope, (s) => {
      if (s.status !== ChargingSessionStatus.ACTIVE || s.stopRequestedAt || !s.chargePointId || !s.transactionId)
        return undefined;
      s.requestStop(now, reason);
      return { chargePointId: s.chargePointId, transactionId: s.transactionId };
    });
    if (!target) return 'already';
    let accepted = false;
    try {
      ({ accepted } = await this.runtime.chargers.send(target.chargePointId, {
        action: 'StopCharging',
        transactionId: target.transactionId,
      }));
    } finally {
      if (!accepted)
        await this.changeLocked({ id: sessionId }, {}, (s) => {
          if (s.status !== ChargingSessionStatus.ACTIVE || s.stopRequestedAt?.getTime() !== now.getTime()) return;
          s.stopRequestedAt = null;
          s.stopReason = null;
        });
    }
    return accepted ? 'stopping' : 'refused';
  }

  /** Ends a session that is still PENDING (a failed start); one that started meanwhile is left as it is. */
  async failIfPending(sessionId: string, reason: StopReason, now = new Date()): Promise<ChargingSession> {
    const { session } = await this.changeLocked({ id: sessionId }, {}, (s) => {
      if (s.status === ChargingSessionStatus.PENDING) s.end(ChargingSessionStatus.FAILED, now, reason);
    });
    return session;
  }

  /**
   * Settles an ended session: frees the connector at the station (if this session holds it), then charges a
   * COMPLETED session as a service (the payment subgraph captures the hold or charges off-session) or releases the
   * hold of a FAILED/CANCELLED one. Throws when a retry can help (the job retries); a final payment error (e.g.
   * PAYMENT_DECLINED) is logged and settled: the payment subgraph keeps it flagged for attention.
   */
  async settle(sessionId: string, now = new Date()): Promise<SettleOutcome> {
    // One settler per session in this process: the job and a stop settling at once wait for the same outcome.
    return this.runtime.singleFlight(`settle:${sessionId}`, () => this.settleClaimed(sessionId, now));
  }

  /** Across replicas: a lease on the row; a settler that crashed loses it after SETTLE_LEASE_MS. */
  private async settleClaimed(sessionId: string, now: Date): Promise<SettleOutcome> {
    const em = this.em.fork();
    const claimed = await em.nativeUpdate(
      ChargingSession,
      {
        id: sessionId,
        settledAt: null,
        status: { $nin: [ChargingSessionStatus.PENDING, ChargingSessionStatus.ACTIVE] },
        $or: [{ settleClaimedUntil: null }, { settleClaimedUntil: { $lt: now } }],
      },
      { settleClaimedUntil: new Date(now.getTime() + SETTLE_LEASE_MS) },
    );
    const session = await em.findOne(ChargingSession, { id: sessionId });
    if (!session || session.settledAt) return 'already';
    if (session.isOpen()) return 'open';
    // Another replica is settling it right now; the sweep re-queues it should that one never finish.
    if (claimed === 0) return 'busy';
    try {
      await this.upstream.markConnector(
        { stationId: session.stationId, connectorId: session.connectorId, sessionId },
        'ENDED',
      );
      try {
        if (session.status === ChargingSessionStatus.COMPLETED) await this.upstream.charge(sessionId);
        else await this.upstream.releaseHold(sessionId);
      } catch (error) {
        const code = error instanceof DomainError ? String(error.extensions.code) : undefined;
        if (!code || RETRYABLE.has(code)) throw error;
        this.ctx.logger.warn(
          { sessionId, code, err: error },
          'session settled with a payment error; left to the payment subgraph',
        );
      }
    } catch (error) {
      // Give the lease back so that the job's retry need not wait for it to run out.
      await em.nativeUpdate(ChargingSession, { id: sessionId }, { settleClaimedUntil: null });
      throw error;
    }
    await em.nativeUpdate(
      ChargingSession,
      { id: sessionId, settledAt: null },
      { settledAt: now, settleClaimedUntil: null },
    );
    await this.runtime.changed(sessionId);
    return 'settled';
  }

  /** Settles now when it can (so the caller sees the connector free and the hold gone); else the job retries it. */
  async settleSoon(sessionId: string): Promise<void> {
    try {
      await this.settle(sessionId);
    } catch (error) {
      this.ctx.logger.warn({ err: error, sessionId }, 'settling failed; the settle job retries it');
      await this.runtime.settleLater(sessionId);
    }
  }

  private async afterCommit(session: ChargingSession, wasOpen: boolean): Promise<void> {
    await this.runtime.changed(session.id);
    if (!wasOpen || session.isOpen()) return;
    // The connector is free for the next driver at once; the settle job frees it again (idempotent) if this failed.
    await this.upstream
      .markConnector({ stationId: session.stationId, connectorId: session.connectorId, sessionId: session.id }, 'ENDED')
      .catch((error: unknown) =>
        this.ctx.logger.warn({ err: error, sessionId: session.id }, 'connector not freed yet'),
      );
    await this.runtime.settleLater(session.id);
  }
}

export function snapshotOf(tariff: UpstreamStation['tariff']): TariffSnapshot {
  return Object.assign(new TariffSnapshot(), {
    id: tariff.id,
    currency: tariff.currency,
    energyPricePerKwh: tariff.energyPricePerKwh,
    timePricePerHour: tariff.timePricePerHour,
    sessionFeeAmount: tariff.sessionFee.amount,
    taxRateBasisPoints: tariff.taxRateBasisPoints,
    preAuthorizationAmount: tariff.preAuthorization.amount,
  });
}

/** Translates the open-session uniqueness violations into errors a driver understands; anything else passes through. */
export function activeSessionConflict(error: unknown, connectorId: string): unknown {
  if (!(error instanceof UniqueConstraintViolationException) || !('constraint' in error)) return error;
  if (error.constraint === ACTIVE_CONNECTOR_INDEX)
    return conflict(`Connector ${connectorId} is busy with another charging session.`);
  if (error.constraint === ACTIVE_DRIVER_INDEX)
    return conflict('You already have an active charging session; stop it before starting another.');
  return error;
}
