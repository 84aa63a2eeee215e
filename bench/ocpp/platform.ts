/**
 * What the platform says during the OCPP benchmark, asked of the subgraphs themselves: how many of the operator's
 * charge points the station subgraph counts as connected, and whether every charging session holds exactly the
 * energy of the last MeterValues its charger had acknowledged (so an acknowledgement meant "applied").
 */
import { Role, type Identity } from '../../platform/identity.js';
import { METER_START_WH } from './protocol.js';
import type { SubgraphCaller } from './seed.js';

/** Settings of the OCPP replica and the subgraphs for the run (beyond the production defaults). */
export const OCPP_BENCH_ENV: Record<string, string> = {
  // Half the production default (60 s): twice the heartbeats, and a hold of a few seconds sees them flow.
  OCPP_HEARTBEAT_INTERVAL_SECONDS: '30',
  // 2,000 MeterValues/s from a few hundred transactions is several per second per charger (a real one sends one every
  // 10–60 s); the per-connection flood limit (default 60 per 10 s) stays on, set above what the bench sends.
  OCPP_RATE_LIMIT_MESSAGES: '300',
};

const PAGE = 100;
const admin = (operatorId: string): Identity => ({ role: Role.OPERATOR_ADMIN, sub: 'bench-ocpp-admin', operatorId });

/** Charge points of the operator that the station subgraph reports `connected` (live socket, heartbeats current). */
export async function countConnected(caller: SubgraphCaller, operatorId: string): Promise<number> {
  let connected = 0;
  let after: string | null = null;
  for (;;) {
    const page: {
      stations: {
        edges: Array<{ cursor: string; node: { chargePoints: Array<{ connected: boolean }> | null } }>;
        pageInfo: { hasNextPage: boolean; endCursor: string | null };
      };
    } = await caller.call(
      'station',
      admin(operatorId),
      `query ($after: String, $operatorId: ID!) { stations(first: ${PAGE}, after: $after, filter: { operatorId: $operatorId }) {
        edges { cursor node { chargePoints { connected } } } pageInfo { hasNextPage endCursor } } }`,
      { after, operatorId },
    );
    for (const edge of page.stations.edges)
      connected += (edge.node.chargePoints ?? []).filter((c) => c.connected).length;
    if (!page.stations.pageInfo.hasNextPage) return connected;
    after = page.stations.pageInfo.endCursor;
  }
}

/** Every ACTIVE session of the operator against its charger's last acknowledged energy register value. */
export async function checkApplied(
  caller: SubgraphCaller,
  operatorId: string,
  lastAcked: Array<{ chargePointId: string; transactionId: number; energyWh: number }>,
): Promise<{ checked: number; matching: number; mismatches: string[] }> {
  const sessions = new Map<string, number>();
  let after: string | null = null;
  for (;;) {
    const page: {
      chargingSessions: {
        edges: Array<{ node: { chargePointId: string | null; energyWh: number } }>;
        pageInfo: { hasNextPage: boolean; endCursor: string | null };
      };
    } = await caller.call(
      'session',
      admin(operatorId),
      `query ($after: String, $operatorId: ID!) { chargingSessions(first: ${PAGE}, after: $after, filter: { operatorId: $operatorId, status: ACTIVE }) {
        edges { node { chargePointId energyWh } } pageInfo { hasNextPage endCursor } } }`,
      { after, operatorId },
    );
    for (const { node } of page.chargingSessions.edges)
      if (node.chargePointId) sessions.set(node.chargePointId, node.energyWh);
    if (!page.chargingSessions.pageInfo.hasNextPage) break;
    after = page.chargingSessions.pageInfo.endCursor;
  }
  const mismatches: string[] = [];
  for (const { chargePointId, energyWh } of lastAcked) {
    const expected = energyWh - METER_START_WH;
    const actual = sessions.get(chargePointId);
    if (actual !== expected)
      mismatches.push(`${chargePointId}: session ${actual ?? 'missing'} Wh, acknowledged ${expected} Wh`);
  }
  return {
    checked: lastAcked.length,
    matching: lastAcked.length - mismatches.length,
    mismatches: mismatches.slice(0, 20),
  };
}
