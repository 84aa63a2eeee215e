import { canSeeChargePoints, requireManageCatalogue, requireService } from '../access.js';
import type { ChargerCommandClient } from '../../../platform/charger-commands.js';
import { groupedBy, type RequestContext } from '../../../platform/subgraph/context.js';
import { DomainError, ErrorCode, badInput, conflict, notFound } from '../../../platform/errors.js';
import { isUuid, uuidsOnly } from '../../../platform/ids.js';
import { Connector } from '../connector/connector.entity.js';
import { StationService } from '../station/station.service.js';
import { CHARGE_POINT_ID_PATTERN, ChargePoint } from './charge-point.entity.js';
import {
  MAX_PRESENCE_REPORTS,
  type ChargePointPresenceInput,
  type RegisterChargePointInput,
} from './charge-point.inputs.js';
import { hashPassword, newPassword, verifyPassword } from './charge-point.password.js';
import type { ChargePointLogin, RegisteredChargePoint } from './charge-point.types.js';

/** Domain operations on charge points; resolvers stay thin. */
export class ChargePointService {
  constructor(
    private readonly ctx: RequestContext,
    /** Closes a charger's connection after its password changed or it was removed (best effort). */
    private readonly commands?: ChargerCommandClient,
  ) {}

  async register({ stationId, chargePointId }: RegisterChargePointInput): Promise<RegisteredChargePoint> {
    const station = await new StationService(this.ctx).get(stationId);
    requireManageCatalogue(this.ctx.identity, station.operatorId);
    const existing = await this.ctx.em.findOne(ChargePoint, { station: station.id });
    if (existing)
      throw conflict(
        `Station ${station.id} already has charge point ${existing.chargePointId}; remove it before registering another.`,
      );
    if (await this.ctx.em.count(ChargePoint, { chargePointId }))
      throw new DomainError(ErrorCode.CONFLICT, `Charge point id ${chargePointId} is already registered.`, {
        field: 'chargePointId',
      });
    const password = newPassword();
    const { salt, hash } = hashPassword(password);
    const chargePoint = this.ctx.em.create(ChargePoint, {
      station,
      chargePointId,
      passwordSalt: salt,
      passwordHash: hash,
    });
    // A new charger's first reports apply whatever the clock of the one before it said.
    await this.ctx.em.nativeUpdate(Connector, { station: station.id }, { statusReportedAt: null });
    await this.ctx.em.flush(); // a concurrent registration of the same id or station fails here: CONFLICT
    return { chargePoint, password };
  }

  async rotatePassword(id: string): Promise<RegisteredChargePoint> {
    const chargePoint = await this.getManaged(id);
    const password = newPassword();
    const { salt, hash } = hashPassword(password);
    chargePoint.passwordSalt = salt;
    chargePoint.passwordHash = hash;
    await this.ctx.em.flush();
    await this.disconnect(chargePoint, 'password rotated');
    return { chargePoint, password };
  }

  async remove(id: string): Promise<string> {
    const chargePoint = await this.getManaged(id);
    await this.ctx.em.remove(chargePoint).flush();
    await this.disconnect(chargePoint, 'charge point removed');
    return id;
  }

  /**
   * The OCPP handshake: the charge point with this id and password, with what the OCPP process needs to route its
   * messages (station, operator, connectors by OCPP number), in one statement. Null for an unknown id or a wrong
   * password alike.
   */
  async login(chargePointId: string, password: string): Promise<ChargePointLogin | null> {
    requireService(this.ctx.identity);
    const rows = CHARGE_POINT_ID_PATTERN.test(chargePointId)
      ? await this.ctx.em.execute<LoginRow[]>(
          `select cp.id, cp.charge_point_id, cp.password_salt, cp.password_hash, s.id as station_id, s.operator_id,
             coalesce(json_agg(json_build_object('ocppConnectorId', c.ocpp_connector_id, 'connectorId', c.id,
                        'powerKw', c.power_kw) order by c.ocpp_connector_id) filter (where c.id is not null),
                      '[]') as connectors
           from charge_point cp
           join station s on s.id = cp.station_id
           left join connector c on c.station_id = s.id
           where cp.charge_point_id = ?
           group by cp.id, s.id`,
          [chargePointId],
        )
      : [];
    const row = rows[0];
    const stored = row ? { salt: row.password_salt, hash: row.password_hash } : undefined;
    if (!verifyPassword(password, stored) || !row) return null;
    return {
      id: row.id,
      chargePointId: row.charge_point_id,
      stationId: row.station_id,
      operatorId: row.operator_id,
      connectors: row.connectors,
    };
  }

  /**
   * Connection state from the OCPP process, many chargers in one statement. Unknown ids are ignored, and so is a
   * report older than the stored one (a late report from the replica a charger left); returns how many applied.
   * Boot information left out (null) keeps what was stored.
   */
  async reportPresence(reports: ChargePointPresenceInput[]): Promise<number> {
    requireService(this.ctx.identity);
    if (reports.length > MAX_PRESENCE_REPORTS)
      throw badInput(`At most ${MAX_PRESENCE_REPORTS} presence reports per call.`, 'reports');
    // One row per charger (the newest): UPDATE … FROM would apply an arbitrary one of several.
    const newest = new Map<string, ChargePointPresenceInput>();
    for (const report of reports) {
      const seen = newest.get(report.chargePointId);
      if (!seen || seen.lastSeenAt.getTime() <= report.lastSeenAt.getTime()) newest.set(report.chargePointId, report);
    }
    if (newest.size === 0) return 0;
    const rows = [...newest.values()].map((r) => ({
      charge_point_id: r.chargePointId,
      connected: r.connected,
      protocol: r.protocol ?? null,
      last_seen_at: r.lastSeenAt.toISOString(),
      offline_after: r.offlineAfter.toISOString(),
      firmware_version: r.firmwareVersion ?? null,
      vendor: r.vendor ?? null,
      model: r.model ?? null,
    }));
    const applied = await this.ctx.em.execute<Array<{ id: string }>>(
      `update charge_point cp set
         connected = r.connected,
         protocol = coalesce(r.protocol, cp.protocol),
         last_seen_at = r.last_seen_at,
         offline_after = r.offline_after,
         firmware_version = coalesce(r.firmware_version, cp.firmware_version),
         vendor = coalesce(r.vendor, cp.vendor),
         model = coalesce(r.model, cp.model),
         updated_at = now()
       from jsonb_to_recordset(?::jsonb) as r(charge_point_id text, connected boolean, protocol text,
         last_seen_at timestamptz, offline_after timestamptz, firmware_version text, vendor text, model text)
       where cp.charge_point_id = r.charge_point_id
         and (cp.last_seen_at is null or cp.last_seen_at <= r.last_seen_at)
       returning cp.id`,
      [JSON.stringify(rows)],
    );
    return applied.length;
  }

  /** A charge point the caller may manage; NOT_FOUND when there is none, FORBIDDEN when it is another operator's. */
  private async getManaged(id: string): Promise<ChargePoint> {
    const chargePoint = isUuid(id) ? await this.ctx.em.findOne(ChargePoint, { id }) : null;
    if (!chargePoint) throw notFound('Charge point', id);
    const station = await new StationService(this.ctx).get(chargePoint.station.id);
    requireManageCatalogue(this.ctx.identity, station.operatorId);
    return chargePoint;
  }

  /**
   * Asks the OCPP process to close the charger's connection, so it must log in again with what is stored now. Best
   * effort, after the change is committed: a charger that is not connected (or an OCPP process that does not answer)
   * is logged, not an error; its old connection fails its next login and its presence reports no longer apply.
   */
  private async disconnect(chargePoint: ChargePoint, reason: string): Promise<void> {
    if (!this.commands) return;
    const { chargePointId } = chargePoint;
    try {
      await this.commands.send(chargePointId, { action: 'Disconnect', reason });
    } catch (error) {
      const code = error instanceof DomainError ? error.extensions.code : undefined;
      this.ctx.logger.info({ chargePointId, code, reason }, 'charge point not disconnected (probably not connected)');
    }
  }
}

interface LoginRow {
  id: string;
  charge_point_id: string;
  password_salt: string;
  password_hash: string;
  station_id: string;
  operator_id: string;
  connectors: Array<{ ocppConnectorId: number; connectorId: string; powerKw: number }>;
}

/** A station's charge points, batched across stations. */
export const chargePointsByStation = groupedBy(
  async (ctx, stationIds) => {
    const valid = uuidsOnly(stationIds);
    return valid.length ? ctx.em.find(ChargePoint, { station: { $in: valid } }, { orderBy: { id: 'asc' } }) : [];
  },
  (chargePoint: ChargePoint) => chargePoint.station.id,
);

/** `Station.chargePoints` for those who may see them (the operator's admins, platform admins, services), else null. */
export async function visibleChargePoints(
  ctx: RequestContext,
  station: { id: string; operatorId: string },
): Promise<ChargePoint[] | null> {
  if (!canSeeChargePoints(ctx.identity, station.operatorId)) return null;
  return ctx.loader(chargePointsByStation).load(station.id);
}
