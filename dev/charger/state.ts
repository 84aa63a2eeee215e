import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * What a charger keeps across a power loss, like the non-volatile memory of a real one: each connector's energy
 * register and its open transaction. After a restart the charger ends those transactions (reason PowerLoss) with
 * the last register it saved, so the CSMS can close and bill them instead of waiting for its idle sweep.
 */
export interface SavedTransaction {
  ocppId: number | string;
  transactionId: string;
  idTag: string;
  remoteStartId?: number;
  meterStartWh: number;
  seqNo: number;
}

export interface SavedConnector {
  id: number;
  registerWh: number;
  transaction?: SavedTransaction;
}

export interface ChargerState {
  version: 1;
  connectors: SavedConnector[];
}

export function loadChargerState(file: string): ChargerState | undefined {
  try {
    const state = JSON.parse(readFileSync(file, 'utf8')) as ChargerState;
    return state.version === 1 && Array.isArray(state.connectors) ? state : undefined;
  } catch {
    return undefined; // none yet, or torn: start fresh like a charger after a factory reset
  }
}

/** Written whole and renamed into place, so a kill mid-write leaves the previous state. */
export function saveChargerState(file: string, state: ChargerState): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, JSON.stringify(state));
  renameSync(temporary, file);
}
