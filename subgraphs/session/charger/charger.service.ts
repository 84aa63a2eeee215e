import type { RequestContext } from '../../../platform/subgraph/context.js';
import { DomainError, ErrorCode, forbidden } from '../../../platform/errors.js';
import type { SessionRuntime } from '../lifecycle/runtime.js';
import { RfidTag } from '../rfid/rfid.entity.js';
import { MeterValue } from '../session/meter-value.entity.js';
import { isInternalIdTag } from '../session/id-tags.js';
import { checkReading } from '../session/plausibility.js';
import { requireService } from '../access.js';
import { ChargingSession, ChargingSessionStatus, OPEN_STATUSES, StopReason } from '../session/session.entity.js';
import { connectorOf, nearHoldLimit } from '../session/session.service.js';
import { SessionWrites } from '../session/session.writes.js';
import { applyMeterBatch, checkChargerReading } from './meter-batch.js';
import {
  ChargerMeterValueResult,
  IdTagStatus,
  type ChargerAuthorizeInput,
  type ChargerMeterValueInput,
  type ChargerStartTransactionInput,
  type ChargerStopTransactionInput,
  ChargerTransactionStart,
} from './charger.types.js';

/** Meter value groups (one per transaction) applied at once; values of one transaction go in order. */
const METER_CONCURRENCY = 4;

/**
 * What a charge point reports, through the OCPP process (a service identity): the charger is the source of truth
 * for whether a session runs and how much energy flowed. Every operation is idempotent against charger resends, and
 * a charger acts only on its own station's sessions: a stationId or chargePointId that does not match is refused.
 */
export class ChargerService {
  private readonly writes: SessionWrites;

  constructor(
    private readonly ctx: RequestContext,
    private readonly runtime: SessionRuntime,
  ) {
    requireService(ctx.identity);
    this.writes = new SessionWrites(ctx, runtime);
  }

  /** Authorize: our own idTag of a session at this charger, or a driver's linked RFID tag; anything else INVALID. */
  async authorize({ chargePointId, stationId, idTag }: ChargerAuthorizeInput): Promise<IdTagStatus> {
    const em = this.ctx.em.fork();
    const open = await em.findOne(ChargingSession, { ocppIdTag: idTag, status: { $in: [...OPEN_STATUSES] } });
    if (open) {
      if (open.chargePointId === chargePointId && open.stationId === stationId) return IdTagStatus.ACCEPTED;
      // Our own idTag is only good at its session's charger; a driver's RFID tag is busy elsewhere.
      return isInternalIdTag(idTag) ? IdTagStatus.INVALID : IdTagStatus.CONCURRENT_TX;
    }
    const tag = await em.findOne(RfidTag, { idTag });
    if (!tag) return IdTagStatus.INVALID;
    const busy = await em.count(ChargingSession, { driverId: tag.driverId, status: { $in: [...OPEN_STATUSES] } });
    return busy ? IdTagStatus.CONCURRENT_TX : IdTagStatus.ACCEPTED;
  }

  /**
   * StartTransaction / TransactionEvent Started. A resend returns the first answer; the PENDING app session with this
   * idTag (or remoteStartId) becomes ACTIVE; a linked RFID tag opens a session for its driver with a hold (a failed
   * hold → BLOCKED, nothing left open); an unknown tag → INVALID, nothing written.
   */
  async startTransaction(input: ChargerStartTransactionInput): Promise<ChargerTransactionStart> {
    const em = this.ctx.em.fork();
    const resent = await em.findOne(
      ChargingSession,
      input.transactionId
        ? { chargePointId: input.chargePointId, transactionId: input.transactionId }
        : {
            chargePointId: input.chargePointId,
            connectorId: input.connectorId,
            ocppIdTag: input.idTag,
            chargerStartedAt: input.timestamp,
          },
    );
    if (resent) {
      if (resent.stationId !== input.stationId) return this.refused(input, IdTagStatus.INVALID);
      const status = resent.status === ChargingSessionStatus.FAILED ? IdTagStatus.BLOCKED : IdTagStatus.ACCEPTED;
      return answer(resent.transactionId ?? '', status, resent.id);
    }

    const pending = await em.findOne(ChargingSession, {
      chargePointId: input.chargePointId,
      status: ChargingSessionStatus.PENDING,
      $or: [
        { ocppIdTag: input.idTag },
        ...(input.remoteStartId != null ? [{ remoteStartId: input.remoteStartId }] : []),
      ],
    });
    if (pending) {
      if (pending.stationId !== input.stationId || pending.connectorId !== input.connectorId) {
        this.ctx.logger.warn(
          { sessionId: pending.id, input },
          'StartTransaction for another station or connector refused',
        );
        return this.refused(input, IdTagStatus.INVALID);
      }
      return this.confirm(pending.id, input);
    }

    const tag = await em.findOne(RfidTag, { idTag: input.idTag });
    if (!tag) return this.refused(input, IdTagStatus.INVALID);
    return this.startForTag(tag, input);
  }

  /** The charger confirmed our remote start: PENDING → ACTIVE with the charger's transaction and register. */
  private async confirm(sessionId: string, input: ChargerStartTransactionInput): Promise<ChargerTransactionStart> {
    const transactionId =
      input.transactionId ?? String(await this.writes.nextval('charging_session_transaction_id_seq'));
    const { session, result: confirmed } = await this.writes.changeLocked({ id: sessionId }, {}, (s) => {
      if (s.status !== ChargingSessionStatus.PENDING) return false; // timed out or cancelled meanwhile
      s.activate(startTimeOf(s, input.timestamp), {
        transactionId,
        meterStartWh: input.meterStartWh ?? 0,
        chargerStartedAt: input.timestamp,
      });
      return true;
    });
    if (!confirmed) {
      // Raced with a resend of this same start: answer as the first one did.
      if (session.status === ChargingSessionStatus.ACTIVE && session.transactionId)
        return answer(session.transactionId, IdTagStatus.ACCEPTED, session.id);
      return answer(transactionId, IdTagStatus.INVALID, null);
    }
    await this.markCharging(session);
    return answer(transactionId, IdTagStatus.ACCEPTED, session.id);
  }

  /** A driver's RFID tag at the charger: a session for that driver, with a hold like an app start. */
  private async startForTag(tag: RfidTag, input: ChargerStartTransactionInput): Promise<ChargerTransactionStart> {
    const upstream = this.writes.upstream;
    const station = await upstream.station(input.stationId);
    const connector = station.connectors.find((c) => c.id === input.connectorId);
    const chargePoint = station.chargePoints?.find((c) => c.chargePointId === input.chargePointId) ?? null;
    if (!connector || !chargePoint) {
      this.ctx.logger.warn({ input }, 'StartTransaction for a connector of another station refused');
      return this.refused(input, IdTagStatus.INVALID);
    }
    const operator = await upstream.operator(station.operator.id);
    if (operator.status !== 'ACTIVE') return this.refused(input, IdTagStatus.BLOCKED);

    let session: ChargingSession;
    try {
      session = await this.writes.open({
        driverId: tag.driverId,
        station,
        connector,
        chargePoint,
        ocppIdTag: tag.idTag,
      });
    } catch (error) {
      if (error instanceof DomainError && error.extensions.code === ErrorCode.CONFLICT)
        return this.refused(input, IdTagStatus.CONCURRENT_TX);
      throw error;
    }
    let heldAmount: number | null = null;
    try {
      await upstream.markConnector(connectorOf(session), 'STARTING');
      if (!operator.postPaid && session.tariff.preAuthorizationAmount > 0) {
        const hold = await upstream.placeHold(session.id);
        // No one can authenticate a card at the charger: a hold that needs 3-D Secure is no hold.
        if (hold.status !== 'AUTHORIZED' || !hold.authorizedAmount) throw new Error(`hold ${hold.status}`);
        heldAmount = hold.authorizedAmount.amount;
      }
    } catch (error) {
      this.ctx.logger.info({ sessionId: session.id, err: error }, 'RFID start refused: no hold');
      await this.writes.failIfPending(session.id, StopReason.HOLD_FAILED);
      await this.writes.settleSoon(session.id);
      return this.refused(input, IdTagStatus.BLOCKED);
    }
    const result = await this.confirmHeld(session.id, input, heldAmount);
    return result;
  }

  private async confirmHeld(
    sessionId: string,
    input: ChargerStartTransactionInput,
    heldAmount: number | null,
  ): Promise<ChargerTransactionStart> {
    const transactionId =
      input.transactionId ?? String(await this.writes.nextval('charging_session_transaction_id_seq'));
    const { session } = await this.writes.changeLocked({ id: sessionId }, {}, (s) => {
      s.heldAmount = heldAmount;
      s.activate(startTimeOf(s, input.timestamp), {
        transactionId,
        meterStartWh: input.meterStartWh ?? 0,
        chargerStartedAt: input.timestamp,
      });
    });
    await this.markCharging(session);
    return answer(transactionId, IdTagStatus.ACCEPTED, session.id);
  }

  /**
   * MeterValues of many chargers at once (the OCPP process batches them per tick); one result per value, same order.
   * Each value is checked (plausibility.ts) and applied under its session's lock; a refused one writes nothing.
   * The whole batch goes in one transaction (meter-batch.ts). Should that transaction fail (nothing is written then),
   * each value is tried again on its own, so one value the database rejects cannot refuse a whole tick of chargers.
   */
  async meterValues(values: ChargerMeterValueInput[], now = new Date()): Promise<ChargerMeterValueResult[]> {
    try {
      return await applyMeterBatch(this.ctx.em, this.runtime, this.ctx.logger, values, now);
    } catch (error) {
      this.ctx.logger.warn({ err: error, values: values.length }, 'meter value batch failed; applying one by one');
      return this.meterValuesOneByOne(values, now);
    }
  }

  private async meterValuesOneByOne(values: ChargerMeterValueInput[], now: Date): Promise<ChargerMeterValueResult[]> {
    const results: ChargerMeterValueResult[] = new Array<ChargerMeterValueResult>(values.length);
    const groups = new Map<string, number[]>();
    values.forEach((v, i) => {
      const key = `${v.chargePointId}\u0000${v.transactionId}`;
      groups.set(key, [...(groups.get(key) ?? []), i]);
    });
    const queue = [...groups.values()];
    const worker = async () => {
      for (let group = queue.shift(); group; group = queue.shift())
        for (const i of group) results[i] = await this.meterValue(values[i], now);
    };
    await Promise.all(Array.from({ length: Math.min(METER_CONCURRENCY, queue.length) }, worker));
    return results;
  }

  private async meterValue(value: ChargerMeterValueInput, now: Date): Promise<ChargerMeterValueResult> {
    try {
      const { session, result: written } = await this.writes.changeLocked(
        { chargePointId: value.chargePointId, transactionId: value.transactionId },
        {},
        (s, em) => {
          if (!checkChargerReading(s, value, now)) return false;
          const energyWh = value.energyRegisterWh - (s.meterStartWh ?? 0);
          em.create(MeterValue, {
            session: s,
            energyWh,
            measuredAt: value.measuredAt,
            recordedBy: `CHARGER:${value.chargePointId}`,
          });
          s.energyWh = energyWh;
          s.lastMeterAt = value.measuredAt;
          return true;
        },
      );
      if (written && nearHoldLimit(session, now, this.runtime.settings.HOLD_INCREMENT_THRESHOLD_PERCENT))
        await this.runtime.holdCheckLater(session.id);
      return ChargerMeterValueResult.ok();
    } catch (error) {
      if (!(error instanceof DomainError)) {
        this.ctx.logger.error({ err: error, value }, 'meter value not recorded');
        return ChargerMeterValueResult.refused(ErrorCode.INTERNAL_SERVER_ERROR, 'The meter value was not recorded.');
      }
      const code = String(error.extensions.code);
      this.ctx.logger.warn({ code, value, message: error.message }, 'meter value refused');
      if (code === ErrorCode.NOT_FOUND)
        return ChargerMeterValueResult.refused(code, `No transaction ${value.transactionId} at this charge point.`);
      return ChargerMeterValueResult.refused(code, error.message);
    }
  }

  /**
   * StopTransaction / TransactionEvent Ended: the session ends (COMPLETED, priced) at the charger's time, with its final
   * register if plausible (else from its last value); then it is settled. A resend, or a transaction we refused,
   * answers true and changes nothing.
   */
  async stopTransaction(input: ChargerStopTransactionInput, now = new Date()): Promise<boolean> {
    const where = { chargePointId: input.chargePointId, transactionId: input.transactionId };
    const known = await this.ctx.em.fork().findOne(ChargingSession, where);
    if (!known) {
      this.ctx.logger.info({ input }, 'StopTransaction for an unknown transaction; acknowledged');
      return true;
    }
    if (known.stationId !== input.stationId) throw forbidden('This transaction belongs to another station.');
    await this.writes.changeLocked({ id: known.id }, {}, (s, em) => {
      if (!s.isOpen()) return; // resend
      if (s.status === ChargingSessionStatus.PENDING) return; // cannot be: transactions exist only once ACTIVE
      const at = input.timestamp > now ? now : input.timestamp;
      if (input.meterStopWh != null) {
        const energyWh = input.meterStopWh - (s.meterStartWh ?? 0);
        try {
          if (energyWh >= 0 && checkReading(s, { energyWh, measuredAt: at }, now)) {
            em.create(MeterValue, {
              session: s,
              energyWh,
              measuredAt: at,
              recordedBy: `CHARGER:${input.chargePointId}`,
            });
            s.energyWh = energyWh;
            s.lastMeterAt = at;
          }
        } catch (error) {
          this.ctx.logger.warn({ err: error, input }, 'final meter value refused; session ends from its last value');
        }
      }
      this.ctx.logger.info({ sessionId: s.id, reason: input.reason }, 'charger ended the transaction');
      s.end(ChargingSessionStatus.COMPLETED, at, StopReason.CHARGER);
    });
    return true;
  }

  private async markCharging(session: ChargingSession): Promise<void> {
    await this.writes.upstream
      .markConnector(connectorOf(session), 'CHARGING')
      .catch((error: unknown) =>
        this.ctx.logger.warn({ err: error, sessionId: session.id }, 'connector not marked CHARGING'),
      );
  }

  /** A refused start still needs a transaction id (1.6 requires one); a fresh one that no session will ever have. */
  private async refused(input: ChargerStartTransactionInput, status: IdTagStatus): Promise<ChargerTransactionStart> {
    const transactionId =
      input.transactionId ?? String(await this.writes.nextval('charging_session_transaction_id_seq'));
    return answer(transactionId, status, null);
  }
}

function answer(transactionId: string, idTagStatus: IdTagStatus, sessionId: string | null): ChargerTransactionStart {
  return Object.assign(new ChargerTransactionStart(), { transactionId, idTagStatus, sessionId });
}

/** Charging runs from the charger's start time, but never before the session was asked for nor after now. */
function startTimeOf(session: ChargingSession, timestamp: Date): Date {
  const now = new Date();
  if (timestamp > now) return now;
  return timestamp < session.createdAt ? session.createdAt : timestamp;
}
