import { badInput, DomainError, ErrorCode } from '../../../platform/errors.js';
import type { ChargingSession } from './session.entity.js';

/** How far ahead of our clock a meter's clock may run before its readings count as "in the future". */
export const MAX_METER_CLOCK_SKEW_MS = 60_000;
/** Allowance over the connector's power (meters and power ratings are not exact) … */
const POWER_MARGIN = 1.1;
/** … plus a fixed allowance for rounding of registers and timestamps. */
const ENERGY_MARGIN_WH = 100;

/** A reading: the energy delivered since the session started (Wh) and when the meter was read. */
export interface Reading {
  energyWh: number;
  measuredAt: Date;
}

/** What the rule reads of a session: the entity, or the batch path's in-memory state of one (charger/meter-batch.ts). */
export type ReadingBaseline = Pick<ChargingSession, 'startedAt' | 'energyWh' | 'lastMeterAt' | 'connectorPowerKw'>;

/**
 * The plausibility rule for a meter value of an ACTIVE session, the same for the charger and the manual path:
 * time and energy never go back, and the energy gained since the last value is at most what the connector can
 * deliver in the time elapsed (power × elapsed × 1.1 + 100 Wh). Returns false for an exact repeat (chargers resend;
 * accepted, nothing to write); throws METER_VALUE_IMPLAUSIBLE (or BAD_USER_INPUT for a time outside the session).
 */
export function checkReading(session: ReadingBaseline, reading: Reading, now: Date): boolean {
  const { energyWh, measuredAt } = reading;
  if (measuredAt < session.startedAt) throw badInput('measuredAt is before the session started.', 'measuredAt');
  if (measuredAt.getTime() > now.getTime() + MAX_METER_CLOCK_SKEW_MS)
    throw badInput('measuredAt is in the future.', 'measuredAt');
  if (energyWh < session.energyWh)
    throw implausible(
      `energyWh went backwards: ${energyWh} Wh is less than the last value of ${session.energyWh} Wh.`,
      'energyWh',
    );
  const since = session.lastMeterAt ?? session.startedAt;
  if (session.lastMeterAt && measuredAt < session.lastMeterAt)
    throw implausible('measuredAt is earlier than the last meter value.', 'measuredAt');
  if (session.lastMeterAt && measuredAt.getTime() === session.lastMeterAt.getTime() && energyWh === session.energyWh)
    return false;
  if (session.connectorPowerKw != null) {
    const hours = (measuredAt.getTime() - since.getTime()) / 3_600_000;
    const maxGainWh = session.connectorPowerKw * 1000 * hours * POWER_MARGIN + ENERGY_MARGIN_WH;
    const gained = energyWh - session.energyWh;
    if (gained > maxGainWh)
      throw implausible(
        `energyWh rose by ${gained} Wh in ${Math.round(hours * 3600)} s: more than the ${session.connectorPowerKw} kW connector can deliver.`,
        'energyWh',
      );
  }
  return true;
}

const implausible = (message: string, field: string) =>
  new DomainError(ErrorCode.METER_VALUE_IMPLAUSIBLE, message, { field });
