import DataLoader from 'dataloader';
import { LockMode, raw, UniqueConstraintViolationException, type FilterQuery } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { requireOperatorAccess } from '../../common/auth.js';
import { byId, type LoaderFactory, type RequestContext } from '../../common/context.js';
import { badInput, conflict, notFound } from '../../common/errors.js';
import { isUuid, uuidsOnly } from '../../common/ids.js';
import { decodeCursor, toConnection, type Connection, type PageArgs } from '../../common/pagination.js';
import { requireDriver, visibleSessions, type SessionScope } from './session.access.js';
import {
  ACTIVE_CONNECTOR_INDEX,
  ACTIVE_DRIVER_INDEX,
  ChargingSession,
  ChargingSessionStatus,
  TariffSnapshot,
} from './session.entity.js';
import type { ChargingSessionFilter, RecordMeterValueInput, StartChargingSessionInput } from './session.inputs.js';
import { MeterValue } from './meter-value.entity.js';
import { withoutUndefined } from '../../common/objects.js';

/** How far ahead of our clock a meter's clock may run before its readings count as "in the future". */
const MAX_METER_CLOCK_SKEW_MS = 60_000;

/** What a start needs from the station subgraph; asked for by key with a service identity, never taken from the client. */
const STATION_SELECTION =
  'id operator { id } timezone tariff { id currency energyPricePerKwh timePricePerHour sessionFee { amount currency } taxRateBasisPoints preAuthorization { amount currency } } connectors { id status }';

interface UpstreamMoney {
  amount: number;
  currency: string;
}

interface UpstreamStation {
  id: string;
  operator: { id: string };
  timezone: string;
  tariff: {
    id: string;
    currency: string;
    energyPricePerKwh: string;
    timePricePerHour: string;
    sessionFee: UpstreamMoney;
    taxRateBasisPoints: number;
    preAuthorization: UpstreamMoney;
  };
  connectors: Array<{ id: string; status: 'AVAILABLE' | 'CHARGING' | 'OUT_OF_ORDER' }>;
}

/** Domain operations on charging sessions; resolvers stay thin. */
export class ChargingSessionService {
  constructor(private readonly ctx: RequestContext) {}

  private get em(): EntityManager {
    return this.ctx.em;
  }

  /** One session the caller may see; anyone else's is NOT_FOUND, exactly like one that does not exist. */
  async get(id: string): Promise<ChargingSession> {
    const session = isUuid(id)
      ? await this.em.findOne(ChargingSession, { id, ...visibleSessions(this.ctx.identity) })
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
   * Starts a session for the calling driver. The station's operator and tariff come from the station subgraph;
   * the partial unique indexes decide, atomically, that the connector and the driver have no other ACTIVE session.
   */
  async start(input: StartChargingSessionInput): Promise<ChargingSession> {
    const driverId = requireDriver(this.ctx.identity);
    const station = await this.ctx.services.resolveOne<UpstreamStation>(
      'station',
      'Station',
      input.stationId,
      STATION_SELECTION,
    );
    if (!station) throw notFound('Station', input.stationId);
    const connector = station.connectors.find((c) => c.id === input.connectorId);
    if (!connector) throw badInput(`Station ${station.id} has no connector ${input.connectorId}.`, 'connectorId');
    if (connector.status === 'OUT_OF_ORDER') throw conflict(`Connector ${connector.id} is out of order.`);
    // CHARGING here means the operator reports the connector in use (e.g. by a session outside this platform).
    if (connector.status === 'CHARGING') throw conflict(`Connector ${connector.id} is in use.`);
    await this.assertOperatorTakesSessions(station.operator.id);

    const session = this.em.create(ChargingSession, {
      stationId: station.id,
      connectorId: connector.id,
      driverId,
      operatorId: station.operator.id,
      timeZone: station.timezone,
      tariff: snapshotOf(station.tariff),
    });
    try {
      await this.em.flush();
    } catch (error) {
      throw activeSessionConflict(error, connector.id);
    }
    return session;
  }

  /** Records a meter value: the operator's admins or a service (the charger integration), ACTIVE sessions only. */
  async recordMeterValue({ sessionId, energyWh, measuredAt }: RecordMeterValueInput): Promise<ChargingSession> {
    // Not narrowed to the caller's scope: another operator's admin learns FORBIDDEN, not NOT_FOUND.
    return this.changeLocked(sessionId, {}, (session, em) => {
      requireOperatorAccess(this.ctx.identity, session.operatorId);
      session.assertActive('record meter values for');
      if (energyWh < session.energyWh) {
        throw badInput(
          `energyWh went backwards: ${energyWh} Wh is less than the last value of ${session.energyWh} Wh.`,
          'energyWh',
        );
      }
      if (measuredAt < session.startedAt) throw badInput('measuredAt is before the session started.', 'measuredAt');
      if (session.lastMeterAt && measuredAt < session.lastMeterAt)
        throw badInput('measuredAt is earlier than the last meter value.', 'measuredAt');
      if (measuredAt.getTime() > Date.now() + MAX_METER_CLOCK_SKEW_MS)
        throw badInput('measuredAt is in the future.', 'measuredAt');

      em.create(MeterValue, {
        session,
        energyWh,
        measuredAt,
        recordedBy: `${this.ctx.identity.role}:${this.ctx.identity.sub ?? ''}`,
      });
      session.energyWh = energyWh;
      session.lastMeterAt = measuredAt;
    });
  }

  /** Stops the caller's session (platform admins and services: any) and fixes its price; a second stop is a CONFLICT. */
  async stop(id: string): Promise<ChargingSession> {
    return this.changeLocked(id, visibleSessions(this.ctx.identity), (session) =>
      session.end(ChargingSessionStatus.COMPLETED, new Date()),
    );
  }

  /**
   * Changes one session under its row lock (SELECT … FOR UPDATE). Meter values and stops of a session thereby run
   * one after the other: a stop prices exactly the energy it stores, and of two concurrent stops the second sees
   * the session ended and fails with CONFLICT.
   */
  private async changeLocked(
    id: string,
    scope: SessionScope,
    change: (session: ChargingSession, em: EntityManager) => void,
  ): Promise<ChargingSession> {
    if (!isUuid(id)) throw notFound('Charging session', id);
    return this.em.transactional(async (em) => {
      const session = await em.findOne(ChargingSession, { id, ...scope }, { lockMode: LockMode.PESSIMISTIC_WRITE });
      if (!session) throw notFound('Charging session', id);
      change(session, em);
      return session;
    });
  }

  /** A suspended operator keeps its data but takes no new sessions (operator subgraph's rule). */
  private async assertOperatorTakesSessions(operatorId: string): Promise<void> {
    const operator = await this.ctx.services.resolveOne<{ status: string }>(
      'operator',
      'Operator',
      operatorId,
      'status',
    );
    if (!operator) throw notFound('Operator', operatorId);
    if (operator.status !== 'ACTIVE') throw conflict('The operator of this station takes no new charging sessions.');
  }
}

function snapshotOf(tariff: UpstreamStation['tariff']): TariffSnapshot {
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

/** Translates the ACTIVE-uniqueness violations into errors a driver understands; anything else passes through. */
function activeSessionConflict(error: unknown, connectorId: string): unknown {
  if (!(error instanceof UniqueConstraintViolationException) || !('constraint' in error)) return error;
  if (error.constraint === ACTIVE_CONNECTOR_INDEX)
    return conflict(`Connector ${connectorId} is busy with another charging session.`);
  if (error.constraint === ACTIVE_DRIVER_INDEX)
    return conflict('You already have an active charging session; stop it before starting another.');
  return error;
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
