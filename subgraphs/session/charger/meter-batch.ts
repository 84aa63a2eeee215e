import { LockMode } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Logger } from 'pino';
import { DomainError, ErrorCode, forbidden } from '../../../platform/errors.js';
import { newId } from '../../../platform/ids.js';
import type { SessionRuntime } from '../lifecycle/runtime.js';
import { MeterValue } from '../session/meter-value.entity.js';
import { checkReading, type ReadingBaseline } from '../session/plausibility.js';
import { ChargingSession } from '../session/session.entity.js';
import { nearHoldLimit } from '../session/session.service.js';
import { ChargerMeterValueResult, type ChargerMeterValueInput } from './charger.types.js';

/** A session of the batch as its values move it along (the entity stays as loaded until the commit). */
interface Progress extends ReadingBaseline {
  session: ChargingSession;
  /** Some value of the batch was written. */
  written: boolean;
  /** Some value was accepted (written or an exact resend): the live subscription hears of it, as on the one-by-one path. */
  touched: boolean;
}

const keyOf = (value: Pick<ChargerMeterValueInput, 'chargePointId' | 'transactionId'>) =>
  `${value.chargePointId}\u0000${value.transactionId}`;

/**
 * Applies a batch of meter values set-based: ONE transaction locks every session the batch names (ordered by id, so
 * two batches or a stop never deadlock), checks each value in memory by the same rules as the one-by-one path (in
 * order, so several values of one transaction build on each other), then writes every accepted value in one
 * multi-row INSERT and every changed session in one UPDATE … FROM (VALUES …). After the commit: `session_changed`
 * for each accepted session (one round trip) and a hold check for those near their hold. Throws only when the
 * transaction fails as a whole (nothing written).
 */
export async function applyMeterBatch(
  em: EntityManager,
  runtime: SessionRuntime,
  logger: Logger,
  values: ChargerMeterValueInput[],
  now: Date,
): Promise<ChargerMeterValueResult[]> {
  const { results, progress } = await em.fork().transactional(async (tx) => {
    const keys = new Map(
      values.map((v) => [keyOf(v), { chargePointId: v.chargePointId, transactionId: v.transactionId }]),
    );
    const sessions = await tx.find(
      ChargingSession,
      { $or: [...keys.values()] },
      { lockMode: LockMode.PESSIMISTIC_WRITE, orderBy: { id: 'asc' } },
    );
    const progress = new Map<string, Progress>(
      sessions.map((s) => [
        keyOf({ chargePointId: s.chargePointId ?? '', transactionId: s.transactionId ?? '' }),
        {
          session: s,
          startedAt: s.startedAt,
          energyWh: s.energyWh,
          lastMeterAt: s.lastMeterAt,
          connectorPowerKw: s.connectorPowerKw,
          written: false,
          touched: false,
        },
      ]),
    );
    const inserts: Array<{ sessionId: string; energyWh: number; measuredAt: Date; recordedBy: string }> = [];
    const results = values.map((value) => {
      const state = progress.get(keyOf(value));
      if (!state)
        return refused(
          logger,
          value,
          ErrorCode.NOT_FOUND,
          `No transaction ${value.transactionId} at this charge point.`,
        );
      try {
        if (!checkChargerReading(state.session, value, now, state)) {
          state.touched = true;
          return ChargerMeterValueResult.ok();
        }
      } catch (error) {
        if (!(error instanceof DomainError)) throw error;
        return refused(logger, value, String(error.extensions.code), error.message);
      }
      const energyWh = value.energyRegisterWh - (state.session.meterStartWh ?? 0);
      state.energyWh = energyWh;
      state.lastMeterAt = value.measuredAt;
      state.written = state.touched = true;
      inserts.push({
        sessionId: state.session.id,
        energyWh,
        measuredAt: value.measuredAt,
        recordedBy: `CHARGER:${value.chargePointId}`,
      });
      return ChargerMeterValueResult.ok();
    });
    const changed = [...progress.values()].filter((p) => p.written);
    if (inserts.length > 0) {
      const recordedAt = new Date();
      await tx.insertMany(
        MeterValue,
        inserts.map((row) => ({
          id: newId(),
          session: row.sessionId,
          energyWh: row.energyWh,
          measuredAt: row.measuredAt,
          recordedAt,
          recordedBy: row.recordedBy,
        })),
      );
      await updateSessions(tx, changed, recordedAt);
    }
    return { results, progress: [...progress.values()] };
  });

  for (const p of progress.filter((s) => s.written)) {
    // The entity learns what was committed, for the hold check's cost (this fork is never flushed again).
    p.session.energyWh = p.energyWh;
    p.session.lastMeterAt = p.lastMeterAt;
  }
  await runtime.changed(...progress.filter((p) => p.touched).map((p) => p.session.id));
  for (const p of progress)
    if (p.written && nearHoldLimit(p.session, now, runtime.settings.HOLD_INCREMENT_THRESHOLD_PERCENT))
      await runtime.holdCheckLater(p.session.id);
  return results;
}

/**
 * A charger's meter value for `session`, by the rules of every path (batched or one by one), against `baseline`:
 * the session as the batch's earlier values left it, or the session itself. False for an exact resend (accepted,
 * nothing to write); a DomainError for a refusal.
 */
export function checkChargerReading(
  session: ChargingSession,
  value: ChargerMeterValueInput,
  now: Date,
  baseline: ReadingBaseline = session,
): boolean {
  if (session.stationId !== value.stationId) throw forbidden('This transaction belongs to another station.');
  session.assertActive('record meter values for');
  const energyWh = value.energyRegisterWh - (session.meterStartWh ?? 0);
  if (energyWh < 0)
    throw new DomainError(
      ErrorCode.METER_VALUE_IMPLAUSIBLE,
      `The energy register (${value.energyRegisterWh} Wh) is below its start value (${session.meterStartWh} Wh).`,
    );
  return checkReading(baseline, { energyWh, measuredAt: value.measuredAt }, now);
}

/** Every changed session's energy and last meter time in one statement. */
async function updateSessions(tx: EntityManager, changed: Progress[], updatedAt: Date): Promise<void> {
  const rows = changed.map(() => '(?::uuid, ?::integer, ?::timestamptz)').join(', ');
  await tx.getConnection().execute(
    `update "charging_session" as s
        set "energy_wh" = v.energy_wh, "last_meter_at" = v.last_meter_at, "updated_at" = ?::timestamptz
       from (values ${rows}) as v(id, energy_wh, last_meter_at)
      where s."id" = v.id`,
    [updatedAt, ...changed.flatMap((p) => [p.session.id, p.energyWh, p.lastMeterAt])],
    'run',
    tx.getTransactionContext(),
  );
}

function refused(logger: Logger, value: ChargerMeterValueInput, code: string, message: string) {
  logger.warn({ code, value, message }, 'meter value refused');
  return ChargerMeterValueResult.refused(code, message);
}
