import { propertyViolation } from './errors.js';
import type { Connection } from './connections.js';

const ENERGY_REGISTER = 'Energy.Active.Import.Register';

/** An energy register reading in Wh at a time, from either protocol's meter value. */
export interface EnergyReading {
  energyWh: number;
  at: Date;
}

/** 1.6 sampled values: the energy register (default measurand), Wh (default) or kWh; phases and other measurands ignored. */
export function energyReadings16(
  meterValues: Array<{
    timestamp: string;
    sampledValue: Array<{ value: string; measurand?: string; unit?: string; phase?: string; format?: string }>;
  }>,
): EnergyReading[] {
  const readings: EnergyReading[] = [];
  for (const meterValue of meterValues) {
    for (const sample of meterValue.sampledValue) {
      if ((sample.measurand ?? ENERGY_REGISTER) !== ENERGY_REGISTER || sample.phase || sample.format === 'SignedData')
        continue;
      const unit = sample.unit ?? 'Wh';
      if (unit !== 'Wh' && unit !== 'kWh') throw propertyViolation(`Energy register unit ${unit} is not Wh or kWh.`);
      const value = Number(sample.value);
      if (sample.value.trim() === '' || !Number.isFinite(value))
        throw propertyViolation(`Energy register value "${sample.value.slice(0, 30)}" is not a number.`);
      readings.push({
        energyWh: Math.round(unit === 'kWh' ? value * 1000 : value),
        at: new Date(meterValue.timestamp),
      });
    }
  }
  return readings;
}

/** 2.0.1 sampled values: the energy register, unit Wh or kWh with its power-of-ten multiplier. */
export function energyReadings201(
  meterValues: Array<{
    timestamp: string;
    sampledValue: Array<{
      value: number;
      measurand?: string;
      phase?: string;
      unitOfMeasure?: { unit?: string; multiplier?: number };
    }>;
  }>,
): EnergyReading[] {
  const readings: EnergyReading[] = [];
  for (const meterValue of meterValues) {
    for (const sample of meterValue.sampledValue) {
      if ((sample.measurand ?? ENERGY_REGISTER) !== ENERGY_REGISTER || sample.phase) continue;
      const unit = sample.unitOfMeasure?.unit ?? 'Wh';
      if (unit !== 'Wh' && unit !== 'kWh') throw propertyViolation(`Energy register unit ${unit} is not Wh or kWh.`);
      const factor = (unit === 'kWh' ? 1000 : 1) * 10 ** (sample.unitOfMeasure?.multiplier ?? 0);
      readings.push({ energyWh: Math.round(sample.value * factor), at: new Date(meterValue.timestamp) });
    }
  }
  return readings;
}

/**
 * Sends readings of one transaction through the batcher and waits until each was applied; a reading the session
 * subgraph refused (implausible) becomes a CALLERROR with its message, and is logged.
 */
export async function submitReadings(
  connection: Connection,
  transactionId: string,
  readings: EnergyReading[],
): Promise<void> {
  const results = await Promise.all(
    readings.map((reading) =>
      connection.deps.meters.submit({
        chargePointId: connection.chargePointId,
        stationId: connection.login.stationId,
        transactionId,
        energyRegisterWh: reading.energyWh,
        measuredAt: reading.at,
      }),
    ),
  );
  const refused = results.find((result) => !result.accepted);
  if (refused) {
    connection.logger.warn(
      { transactionId, code: refused.code, reason: refused.message },
      'meter value refused by the session service',
    );
    throw propertyViolation(refused.message ?? 'Meter value refused.');
  }
}
