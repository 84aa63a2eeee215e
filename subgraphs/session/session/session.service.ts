import DataLoader from 'dataloader';
import { raw, type FilterQuery } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { requireOperatorAccess } from '../../../platform/subgraph/auth.js';
import { byId, type LoaderFactory, type RequestContext } from '../../../platform/subgraph/context.js';
import { badInput, conflict, DomainError, ErrorCode, notFound } from '../../../platform/errors.js';
import { Role } from '../../../platform/identity.js';
import type { SessionRuntime } from '../lifecycle/runtime.js';
import { checkReading } from './plausibility.js';
import { SessionWrites } from './session.writes.js';
import type { UpstreamConnector } from './upstream.js';
import { isUuid, uuidsOnly } from '../../../platform/ids.js';
import { decodeCursor, toConnection, type Connection, type PageArgs } from '../../../platform/subgraph/pagination.js';
import { requireDriver, visibleSessions, type SessionScope } from '../access.js';
import { ChargingSession, ChargingSessionStatus, StopReason } from './session.entity.js';
import type { ChargingSessionFilter, RecordMeterValueInput, StartChargingSessionInput } from './session.inputs.js';
import { MeterValue } from './meter-value.entity.js';
import { withoutUndefined } from '../../../platform/subgraph/objects.js';

/** Connector statuses (effective, from the station subgraph) that take a new session. */
const STARTABLE = new Set(['AVAILABLE', 'PREPARING']);

/** Domain operations of drivers and admins on charging sessions; resolvers stay thin. */
export class ChargingSessionService {
  private readonly writes: SessionWrites;

  constructor(
    private readonly ctx: RequestContext,
    private readonly runtime: SessionRuntime,
  ) {
    this.writes = new SessionWrites(ctx, runtime);
  }

  private get em(): EntityManager {
    return this.ctx.em;
  }

  /** One session the caller may see; anyone else's is NOT_FOUND, exactly like one that does not exist. */
  async get(id: string): Promise<ChargingSession> {
    const session = isUuid(id)
      ? await this.em.fork().findOne(ChargingSession, { id, ...visibleSessions(this.ctx.identity) })
      : null;
    if (!session) throw notFound('Charging session', id);
    return session;
  }

  /** Newest first, keyset on the UUIDv7 id: one statement per page, no count. */
  async list(filter: ChargingSessionFilter = {}, { first, after }: PageArgs): Promise<Connection<ChargingSession>> {
    const where: FilterQuery<ChargingSession> = {
      // $and, not a merge: a filter must never widen or replace the caller's scope.
      $and: [
        visibleSessions(this.ctx.identity),
        withoutUndefined({ status: filter.status, stationId: filter.stationId, operatorId: filter.operatorId }),
        after ? { id: { $lt: decodeCursor(after) } } : {},
      ],
    };
    const rows = await this.em.find(ChargingSession, where, { orderBy: { id: 'desc' }, limit: first + 1 });
    return toConnection(rows, first);
  }

  /**
   * Starts a session for the calling driver. Station, connector, charge point, tariff and operator come from their
   * owners; the session is inserted PENDING (the partial unique indexes decide, atomically, that the connector and
   * the driver have no other open session), the connector is marked, the hold placed (unless the operator is
   * post-paid or the tariff holds nothing), and then the charger is told to start: the session turns ACTIVE when it
   * confirms. At a station without a charge point (manual path) it is ACTIVE at once.
   */
  async start(input: StartChargingSessionInput): Promise<ChargingSession> {
    const driverId = requireDriver(this.ctx.identity);
    const upstream = this.writes.upstream;
    const station = await upstream.station(input.stationId);
    const connector = station.connectors.find((c) => c.id === input.connectorId);
    if (!connector) throw badInput(`Station ${station.id} has no connector ${input.connectorId}.`, 'connectorId');
    assertStartable(connector);
    const chargePoint = station.chargePoints?.[0] ?? null;
    if (chargePoint && !chargePoint.connected)
      throw new DomainError(ErrorCode.CHARGER_UNAVAILABLE, `The charger of station ${station.id} is not connected.`);
    const operator = await upstream.operator(station.operator.id);
    if (operator.status !== 'ACTIVE') throw conflict('The operator of this station takes no new charging sessions.');

    const session = await this.writes.open({ driverId, station, connector, chargePoint });
    try {
      await upstream.markConnector(connectorOf(session), 'STARTING');
      const holdNeeded = !operator.postPaid && session.tariff.preAuthorizationAmount > 0;
      if (holdNeeded) {
        const hold = await upstream.placeHold(session.id, input.paymentMethodId);
        // 3-D Secure: the session waits (PENDING) for the driver's confirmChargingSessionStart.
        if (hold.status === 'REQUIRES_ACTION') {
          await this.runtime.startTimeoutLater(session.id);
          return session;
        }
        if (hold.status !== 'AUTHORIZED' || !hold.authorizedAmount)
          throw new DomainError(ErrorCode.PAYMENT_DECLINED, 'The hold on your card was not authorised.');
        await this.em
          .fork()
          .nativeUpdate(ChargingSession, { id: session.id }, { heldAmount: hold.authorizedAmount.amount });
      }
    } catch (error) {
      await this.failStart(session.id, StopReason.HOLD_FAILED);
      throw error;
    }
    return this.launch(session.id);
  }

  /** After 3-D Secure: once the hold is AUTHORIZED the charger is told to start (once, whoever calls twice). */
  async confirmStart(id: string): Promise<ChargingSession> {
    const session = await this.get(id);
    requireDriver(this.ctx.identity);
    if (session.status !== ChargingSessionStatus.PENDING) return session;
    const payment = await this.writes.upstream.paymentOf(session.id);
    if (!payment || session.heldAmount != null) return session; // no hold to wait for, or already launched
    if (payment.status === 'REQUIRES_ACTION' || payment.status === 'PENDING')
      throw new DomainError(ErrorCode.PAYMENT_ACTION_REQUIRED, 'Complete the card authentication first.');
    if (payment.status !== 'AUTHORIZED' || !payment.authorizedAmount) {
      await this.failStart(session.id, StopReason.HOLD_FAILED);
      throw new DomainError(ErrorCode.PAYMENT_DECLINED, 'The hold on your card was not authorised.');
    }
    const held = payment.authorizedAmount.amount;
    const won = await this.em
      .fork()
      .nativeUpdate(
        ChargingSession,
        { id: session.id, status: ChargingSessionStatus.PENDING, heldAmount: null },
        { heldAmount: held },
      );
    if (won === 0) return this.get(id);
    return this.launch(session.id);
  }

  /**
   * A PENDING session with its hold in place goes to the charger (StartCharging; the charger's StartTransaction makes
   * it ACTIVE) — or, at a manual station, becomes ACTIVE now. A charger that refuses or cannot be reached leaves the
   * session FAILED, its hold released and its connector free, and the error is returned.
   */
  private async launch(sessionId: string): Promise<ChargingSession> {
    const session = await this.em.fork().findOneOrFail(ChargingSession, { id: sessionId });
    if (!session.chargePointId) {
      const { session: active } = await this.writes.changeLocked({ id: sessionId }, {}, (s) => {
        if (s.status === ChargingSessionStatus.PENDING) s.activate(new Date());
      });
      await this.writes.upstream
        .markConnector(connectorOf(active), 'CHARGING')
        .catch((error: unknown) => this.ctx.logger.warn({ err: error, sessionId }, 'connector not marked CHARGING'));
      return active;
    }
    let accepted: boolean;
    try {
      ({ accepted } = await this.runtime.chargers.send(session.chargePointId, {
        action: 'StartCharging',
        ocppConnectorId: session.ocppConnectorId ?? 1,
        idTag: session.ocppIdTag ?? '',
        remoteStartId: session.remoteStartId ?? 0,
      }));
    } catch (error) {
      return this.failStartUnlessConfirmed(sessionId, error);
    }
    if (!accepted)
      return this.failStartUnlessConfirmed(
        sessionId,
        new DomainError(ErrorCode.CHARGER_REJECTED, 'The charger refused to start charging.'),
      );
    await this.runtime.startTimeoutLater(sessionId);
    return this.em.fork().findOneOrFail(ChargingSession, { id: sessionId });
  }

  /** The charger may have confirmed while we waited for its answer: then the session runs and that wins. */
  private async failStartUnlessConfirmed(sessionId: string, error: unknown): Promise<ChargingSession> {
    const session = await this.failStart(sessionId, StopReason.START_REJECTED);
    if (session.status === ChargingSessionStatus.ACTIVE) return session;
    throw error;
  }

  private async failStart(sessionId: string, reason: StopReason): Promise<ChargingSession> {
    const session = await this.writes.failIfPending(sessionId, reason);
    if (!session.isOpen()) await this.writes.settleSoon(sessionId);
    return session;
  }

  /** Records a meter value by hand (stations without a charge point): the operator's admins or a service. */
  async recordMeterValue({ sessionId, energyWh, measuredAt }: RecordMeterValueInput): Promise<ChargingSession> {
    // Not narrowed to the caller's scope: another operator's admin learns FORBIDDEN, not NOT_FOUND.
    const { session, result: written } = await this.writes.changeLocked({ id: sessionId }, {}, (s, em) => {
      requireOperatorAccess(this.ctx.identity, s.operatorId);
      s.assertActive('record meter values for');
      if (s.chargePointId)
        throw conflict(`Charging session ${s.id} runs at a charge point: its meter values come from the charger.`);
      try {
        if (!checkReading(s, { energyWh, measuredAt }, new Date())) return false;
      } catch (error) {
        this.ctx.logger.warn({ sessionId, energyWh, measuredAt, err: error }, 'meter value refused');
        throw error;
      }
      em.create(MeterValue, {
        session: s,
        energyWh,
        measuredAt,
        recordedBy: `${this.ctx.identity.role}:${this.ctx.identity.sub ?? ''}`,
      });
      s.energyWh = energyWh;
      s.lastMeterAt = measuredAt;
      return true;
    });
    if (written && nearHoldLimit(session, new Date(), this.runtime.settings.HOLD_INCREMENT_THRESHOLD_PERCENT))
      await this.runtime.holdCheckLater(session.id);
    return session;
  }

  /**
   * Stops the caller's session (platform admins and services: any). PENDING → CANCELLED (hold released). ACTIVE at
   * a charger → StopCharging; it ends when the charger reports the stop, or now (from its last meter value) if the
   * charger cannot be reached. ACTIVE at a manual station → ends now. A stop of an ended session is a CONFLICT.
   */
  async stop(id: string): Promise<ChargingSession> {
    const scope = visibleSessions(this.ctx.identity);
    const reason = this.ctx.identity.role === Role.DRIVER ? StopReason.DRIVER : StopReason.ADMIN;
    const current = await this.get(id);
    if (current.status === ChargingSessionStatus.ACTIVE && current.chargePointId && current.transactionId) {
      if (current.stopRequestedAt) return current; // already stopping: the charger's report ends it
      let outcome: 'stopping' | 'already' | 'refused';
      try {
        outcome = await this.writes.stopAtCharger(id, scope, reason);
      } catch (error) {
        if (!isChargerUnreachable(error)) throw error;
        this.ctx.logger.warn(
          { sessionId: id, err: error },
          'charger unreachable at stop; ending from the last meter value',
        );
        return this.endNow(id, scope, reason);
      }
      if (outcome === 'refused')
        throw new DomainError(ErrorCode.CHARGER_REJECTED, 'The charger refused to stop charging.');
      return this.get(id);
    }
    return this.endNow(id, scope, reason);
  }

  private async endNow(id: string, scope: SessionScope, reason: StopReason): Promise<ChargingSession> {
    const { session, result: cancelled } = await this.writes.changeLocked({ id }, scope, (s) => {
      if (s.status === ChargingSessionStatus.PENDING) {
        s.end(ChargingSessionStatus.CANCELLED, new Date(), reason);
        return true;
      }
      s.assertActive('stop');
      s.end(ChargingSessionStatus.COMPLETED, new Date(), reason);
      return false;
    });
    // A cancelled start gives the hold back at once; a completed session is charged by the settle job.
    if (cancelled) await this.writes.settleSoon(id);
    return session;
  }
}

/** The effective connector status must take a session: free (or a cable just plugged in). */
function assertStartable(connector: UpstreamConnector): void {
  if (STARTABLE.has(connector.status)) return;
  if (connector.status === 'OFFLINE')
    throw new DomainError(ErrorCode.CHARGER_UNAVAILABLE, `The charger of connector ${connector.id} is not connected.`);
  if (connector.status === 'OUT_OF_ORDER' || connector.status === 'FAULTED')
    throw conflict(`Connector ${connector.id} is out of order.`);
  if (connector.status === 'UNAVAILABLE') throw conflict(`Connector ${connector.id} is unavailable.`);
  // CHARGING, SUSPENDED, FINISHING: in use (by a session of ours or one outside this platform).
  throw conflict(`Connector ${connector.id} is in use.`);
}

export const connectorOf = (session: ChargingSession) => ({
  stationId: session.stationId,
  connectorId: session.connectorId,
  sessionId: session.id,
});

export function isChargerUnreachable(error: unknown): boolean {
  const code = error instanceof DomainError ? error.extensions.code : undefined;
  return code === ErrorCode.CHARGER_UNAVAILABLE || code === ErrorCode.CHARGER_TIMEOUT;
}

/** The cost so far has reached the threshold share of the hold (and no stop is on its way). */
export function nearHoldLimit(session: ChargingSession, now: Date, thresholdPercent: number): boolean {
  if (session.heldAmount == null || session.stopRequestedAt || session.status !== ChargingSessionStatus.ACTIVE)
    return false;
  return session.costAt(now).total * 100 >= session.heldAmount * thresholdPercent;
}

/** `_entities` for ChargingSession: one query per request tick, narrowed to what the caller may see. */
export const sessionById = byId((ctx, ids) =>
  ctx.em.find(ChargingSession, { $and: [{ id: { $in: uuidsOnly(ids) } }, visibleSessions(ctx.identity)] }),
);

export interface StationSessionsKey {
  stationId: string;
  page: PageArgs;
}

/**
 * `Station.sessions` for every station of a request in one statement: newest first per station, keyset on id,
 * `first + 1` rows per station via a window function, narrowed to what the caller may see.
 */
export const sessionsByStation: LoaderFactory<StationSessionsKey, Connection<ChargingSession>> = (ctx) =>
  new DataLoader<StationSessionsKey, Connection<ChargingSession>, string>(
    async (keys) => {
      // Sibling stations in one response share their page arguments; group by them in case they differ.
      const byPage = new Map<string, StationSessionsKey[]>();
      for (const key of keys) {
        const pageKey = `${key.page.first}|${key.page.after ?? ''}`;
        byPage.set(pageKey, [...(byPage.get(pageKey) ?? []), key]);
      }
      const pages = new Map<string, Connection<ChargingSession>>();
      for (const group of byPage.values()) {
        const { page } = group[0];
        const stationIds = uuidsOnly(group.map((k) => k.stationId));
        const sessions = stationIds.length ? await findStationPages(ctx, stationIds, page) : [];
        for (const stationId of new Set(group.map((k) => k.stationId))) {
          pages.set(
            stationPageKey({ stationId, page }),
            toConnection(
              sessions.filter((s) => s.stationId === stationId),
              page.first,
            ),
          );
        }
      }
      return keys.map((key) => pages.get(stationPageKey(key))!);
    },
    { cacheKeyFn: stationPageKey },
  );

function stationPageKey({ stationId, page }: StationSessionsKey): string {
  return `${stationId}|${page.first}|${page.after ?? ''}`;
}

async function findStationPages(
  ctx: RequestContext,
  stationIds: string[],
  { first, after }: PageArgs,
): Promise<ChargingSession[]> {
  const em = ctx.em;
  const ranked = em
    .createQueryBuilder(ChargingSession, 's')
    .select(['*', raw('row_number() over (partition by s.station_id order by s.id desc) as page_rank')])
    .where({
      $and: [
        { stationId: { $in: stationIds } },
        visibleSessions(ctx.identity),
        after ? { id: { $lt: decodeCursor(after) } } : {},
      ],
    });
  const rows: Array<Record<string, unknown>> = await em
    .getKnex()
    .select('*')
    .from(ranked.getKnexQuery().as('ranked'))
    .where('page_rank', '<=', first + 1)
    .orderBy([{ column: 'station_id' }, { column: 'id', order: 'desc' }]);
  return rows.map(({ page_rank: _rank, ...row }) => em.map(ChargingSession, row));
}
