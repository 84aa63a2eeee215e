import path from 'node:path';
import type { GraphQLCall } from '../seed.js';
import { SimulatedCharger } from './charger.js';
import { ensureChargePoint, type EnsuredChargePoint } from './register.js';
import type { OcppProtocol } from './rpc.js';

export interface FleetCharger {
  stationId: string;
  stationName: string;
  operatorId: string;
  chargePoint: EnsuredChargePoint;
  charger: SimulatedCharger;
}

export interface ChargerFleet {
  chargers: FleetCharger[];
  /** Stations whose charger could not be set up, with why (one line each). */
  problems: string[];
  byStation(stationId: string): FleetCharger | undefined;
  close(): Promise<void>;
}

export interface FleetOptions {
  /** ws://host:port/ocpp */
  ocppUrl: string;
  /** Stations to equip, in order; protocols alternate 1.6 / 2.0.1 along it. */
  stations: Array<{ id: string; operatorId: string }>;
  meterIntervalMs?: number;
  /** Each charger keeps its registers and open transactions in `<stateDir>/<chargePointId>.json`. */
  stateDir?: string;
  /** How long one charger may take to connect and boot. */
  startTimeoutMs?: number;
  log?: (line: string) => void;
}

/**
 * One simulated charger per station: the station's charge point is registered (or its password rotated, as
 * passwords are shown only once), then a charger connects with it. A station that fails is reported, not fatal.
 */
export async function startChargerFleet(admin: GraphQLCall, options: FleetOptions): Promise<ChargerFleet> {
  const problems: string[] = [];
  const prepared: Array<{ chargePoint: EnsuredChargePoint; operatorId: string; protocol: OcppProtocol }> = [];
  for (const [index, station] of options.stations.entries()) {
    try {
      const chargePoint = await ensureChargePoint(admin, station.id);
      prepared.push({ chargePoint, operatorId: station.operatorId, protocol: index % 2 ? 'ocpp2.0.1' : 'ocpp1.6' });
    } catch (error) {
      problems.push(`station ${station.id}: charge point not registered (${message(error)})`);
    }
  }
  const results = await Promise.all(
    prepared.map(async ({ chargePoint, operatorId, protocol }) => {
      const charger = new SimulatedCharger({
        url: options.ocppUrl,
        chargePointId: chargePoint.chargePointId,
        password: chargePoint.password,
        protocol,
        connectors: Math.max(1, chargePoint.connectors.length),
        powerKw: chargePoint.connectors.map((c) => c.powerKw),
        meterIntervalMs: options.meterIntervalMs,
        stateFile: options.stateDir && path.join(options.stateDir, `${chargePoint.chargePointId}.json`),
        log: options.log,
      });
      try {
        await withTimeout(charger.start(), options.startTimeoutMs ?? 15_000, 'did not boot in time');
        const entry: FleetCharger = {
          stationId: chargePoint.stationId,
          stationName: chargePoint.stationName,
          operatorId,
          chargePoint,
          charger,
        };
        return entry;
      } catch (error) {
        await charger.close();
        problems.push(`${chargePoint.chargePointId} (station "${chargePoint.stationName}"): ${message(error)}`);
        return undefined;
      }
    }),
  );
  const chargers = results.filter((c): c is FleetCharger => c !== undefined);
  const byStation = new Map(chargers.map((c) => [c.stationId, c]));
  return {
    chargers,
    problems,
    byStation: (stationId) => byStation.get(stationId),
    close: async () => {
      await Promise.all(chargers.map((c) => c.charger.close()));
    },
  };
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} (${ms} ms)`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
