import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isInputObjectType, isObjectType, type GraphQLSchema } from 'graphql';
import { apiSchema } from '../../../schema/breaking.js';
import { loadSupergraphConfig } from '../../../schema/config.js';
import { buildContract } from '../../../schema/publish.js';
import { testConfig } from '../../../test/support/config.js';
import { openDatabase } from '../../../platform/database.js';
import { databaseUrl, dropDatabase } from '../../../platform/database-admin.js';
import { newId } from '../../../platform/ids.js';
import { subgraphModules } from '../../index.js';
import { stationSubgraph } from '../index.js';
import {
  UNKNOWN_ID,
  adminOf,
  connectorsOf,
  createOperator,
  createStation,
  createTariff,
  dataOf,
  driver,
  errorCode,
  platformAdmin,
  registerChargePoint,
  reportOnline,
  service,
  startHarness,
  type CreatedStation,
  type Harness,
} from './harness.js';

let h: Harness;
let operatorId: string;
let tariffId: string;
let counter = 0;
const nextId = () => `ST-${Date.now().toString(36)}-${++counter}`;

beforeAll(async () => {
  h = await startHarness();
  operatorId = await createOperator(h, 'Voltia');
  tariffId = await createTariff(h, operatorId);
});
afterAll(() => h.destroy());

const REPORT_STATUS = `mutation ($input: ReportConnectorStatusInput!) { reportConnectorStatus(input: $input) }`;
const MARK = `mutation ($input: MarkConnectorSessionInput!) { markConnectorSession(input: $input) }`;
const SET = `mutation ($input: SetConnectorStatusInput!) { setConnectorStatus(input: $input) { id status statusSource } }`;

/** A station with a registered charge point that is connected now. */
async function chargerStation(connectors?: Array<{ standard: string; powerKw: number }>) {
  const station = await createStation(h, operatorId, tariffId, connectors ? { connectors } : {});
  const chargePointId = (await registerChargePoint(h, operatorId, station.id, nextId())).chargePoint.chargePointId;
  await reportOnline(h, chargePointId);
  return { station, chargePointId };
}

async function reportStatus(chargePointId: string, ocppConnectorId: number, status: string, at = new Date()) {
  const result = await h.station.run<{ reportConnectorStatus: boolean }>(
    REPORT_STATUS,
    { input: { chargePointId, ocppConnectorId, status, at: at.toISOString() } },
    service,
  );
  return dataOf(result).reportConnectorStatus;
}

async function mark(station: CreatedStation, index: number, sessionId: string, state: string) {
  const result = await h.station.run<{ markConnectorSession: boolean }>(
    MARK,
    { input: { stationId: station.id, connectorId: station.connectors[index].id, sessionId, state } },
    service,
  );
  return dataOf(result).markConnectorSession;
}

const statusesOf = async (stationId: string) => (await connectorsOf(h, stationId)).map((c) => c.status);

describe('Connector.ocppConnectorId', () => {
  it('numbers a station’s connectors 1, 2, … in the order given, as Station.connectors lists them', async () => {
    const station = await createStation(h, operatorId, tariffId, {
      connectors: [
        { standard: 'TYPE2', powerKw: 22 },
        { standard: 'CCS2', powerKw: 150 },
        { standard: 'CHADEMO', powerKw: 50 },
      ],
    });
    expect(station.connectors.map((c) => [c.ocppConnectorId, c.standard, c.statusSource])).toEqual([
      [1, 'TYPE2', 'MANUAL'],
      [2, 'CCS2', 'MANUAL'],
      [3, 'CHADEMO', 'MANUAL'],
    ]);
  });

  it('is backfilled by the migration for existing connectors, per station in id order', async () => {
    const config = testConfig();
    const url = databaseUrl(config, 'station');
    const [firstMigration] = stationSubgraph.migrations;
    const old = await openDatabase({
      clientUrl: url,
      entities: stationSubgraph.entities,
      migrations: [firstMigration],
    });
    const [tariff, s1, s2] = [newId(), newId(), newId()];
    const connectors = [newId(), newId(), newId(), newId(), newId()];
    try {
      const sql = old.em.getConnection();
      await sql.execute(`insert into tariff values (?, now(), now(), ?, 'T', 'EUR', 0.3, 0, 0, 0, 100)`, [
        tariff,
        UNKNOWN_ID,
      ]);
      for (const s of [s1, s2])
        await sql.execute(
          `insert into station values (?, now(), now(), ?, 'S', 'x', 'y', '1', 'DE', 52, 13, 'Europe/Berlin', ?)`,
          [s, UNKNOWN_ID, tariff],
        );
      // Inserted out of id order; statuses of the old schema.
      const rows = [
        [connectors[2], s1, 'OUT_OF_ORDER'],
        [connectors[0], s1, 'AVAILABLE'],
        [connectors[4], s2, 'CHARGING'],
        [connectors[1], s1, 'CHARGING'],
        [connectors[3], s2, 'AVAILABLE'],
      ];
      for (const [id, station, status] of rows)
        await sql.execute(`insert into connector values (?, now(), now(), ?, 'CCS2', 50, ?)`, [id, station, status]);
    } finally {
      await old.close(true);
    }
    const migrated = await openDatabase({
      clientUrl: url,
      entities: stationSubgraph.entities,
      migrations: stationSubgraph.migrations,
    });
    try {
      const rows = await migrated.em
        .getConnection()
        .execute<Array<{ id: string; station_id: string; ocpp_connector_id: number; reported_status: string }>>(
          'select id, station_id, ocpp_connector_id, reported_status from connector order by station_id, ocpp_connector_id',
        );
      expect(rows).toEqual([
        { id: connectors[0], station_id: s1, ocpp_connector_id: 1, reported_status: 'AVAILABLE' },
        { id: connectors[1], station_id: s1, ocpp_connector_id: 2, reported_status: 'CHARGING' },
        { id: connectors[2], station_id: s1, ocpp_connector_id: 3, reported_status: 'OUT_OF_ORDER' },
        { id: connectors[3], station_id: s2, ocpp_connector_id: 1, reported_status: 'AVAILABLE' },
        { id: connectors[4], station_id: s2, ocpp_connector_id: 2, reported_status: 'CHARGING' },
      ]);
      await expect(
        migrated.em
          .getConnection()
          .execute(
            `insert into connector (id, created_at, updated_at, station_id, ocpp_connector_id, standard, power_kw) values (?, now(), now(), ?, 1, 'CCS2', 50)`,
            [newId(), s1],
          ),
      ).rejects.toThrow(/connector_station_id_ocpp_connector_id_unique/);
    } finally {
      await migrated.close(true);
      await dropDatabase(url);
    }
  });
});

describe('reportConnectorStatus (service-only)', () => {
  it('makes the charger’s status the connector’s, for the connector with that OCPP number at its own station only', async () => {
    const { station, chargePointId } = await chargerStation();
    const other = await chargerStation();
    expect(await statusesOf(station.id)).toEqual(['AVAILABLE', 'AVAILABLE']);
    for (const status of ['PREPARING', 'CHARGING', 'SUSPENDED', 'FINISHING', 'FAULTED', 'UNAVAILABLE']) {
      expect(await reportStatus(chargePointId, 2, status)).toBe(true);
      expect(await statusesOf(station.id)).toEqual(['AVAILABLE', status]);
    }
    // The other station's connector 2 is not this charger's to report.
    expect(await statusesOf(other.station.id)).toEqual(['AVAILABLE', 'AVAILABLE']);
    expect((await connectorsOf(h, station.id)).map((c) => c.statusSource)).toEqual(['CHARGER', 'CHARGER']);
  });

  it('ignores (false) unknown charge points, unknown connector numbers and reports older than the stored one', async () => {
    const { station, chargePointId } = await chargerStation();
    const now = Date.now();
    expect(await reportStatus(chargePointId, 1, 'CHARGING', new Date(now))).toBe(true);
    expect(await reportStatus(chargePointId, 1, 'AVAILABLE', new Date(now - 1000))).toBe(false);
    expect(await reportStatus(chargePointId, 3, 'FAULTED')).toBe(false);
    expect(await reportStatus('never-registered', 1, 'FAULTED')).toBe(false);
    expect(await statusesOf(station.id)).toEqual(['CHARGING', 'AVAILABLE']);
  });

  it('refuses OFFLINE (it is derived) and malformed input with BAD_USER_INPUT', async () => {
    const { chargePointId } = await chargerStation();
    for (const input of [
      { chargePointId, ocppConnectorId: 1, status: 'OFFLINE', at: new Date().toISOString() },
      { chargePointId, ocppConnectorId: 0, status: 'AVAILABLE', at: new Date().toISOString() },
      { chargePointId: 'bad id', ocppConnectorId: 1, status: 'AVAILABLE', at: new Date().toISOString() },
    ]) {
      expect(errorCode(await h.station.run(REPORT_STATUS, { input }, service))).toBe('BAD_USER_INPUT');
    }
  });

  it('shows OFFLINE over any reported status while the charge point is not connected', async () => {
    const { station, chargePointId } = await chargerStation();
    await reportStatus(chargePointId, 1, 'CHARGING');
    await reportOnline(h, chargePointId, -1); // heartbeat deadline passed
    expect(await statusesOf(station.id)).toEqual(['OFFLINE', 'OFFLINE']);
    await reportOnline(h, chargePointId);
    expect(await statusesOf(station.id)).toEqual(['CHARGING', 'AVAILABLE']);
  });
});

describe('markConnectorSession (service-only)', () => {
  it('STARTING shows PREPARING, CHARGING shows CHARGING, ENDED only by the holding session frees it', async () => {
    const { station, chargePointId } = await chargerStation();
    const [session, another] = [newId(), newId()];
    expect(await mark(station, 0, session, 'STARTING')).toBe(true);
    expect(await statusesOf(station.id)).toEqual(['PREPARING', 'AVAILABLE']);
    expect(await mark(station, 0, session, 'CHARGING')).toBe(true);
    expect(await statusesOf(station.id)).toEqual(['CHARGING', 'AVAILABLE']);
    // A retried STARTING does not move it back; the charger saying AVAILABLE does not free it.
    expect(await mark(station, 0, session, 'STARTING')).toBe(true);
    expect(await reportStatus(chargePointId, 1, 'AVAILABLE')).toBe(true);
    expect(await statusesOf(station.id)).toEqual(['CHARGING', 'AVAILABLE']);
    // Another session neither takes a charging connector nor frees it.
    expect(await mark(station, 0, another, 'CHARGING')).toBe(false);
    expect(await mark(station, 0, another, 'ENDED')).toBe(false);
    expect(await statusesOf(station.id)).toEqual(['CHARGING', 'AVAILABLE']);
    // What the charger says beyond AVAILABLE is shown as it says it.
    expect(await reportStatus(chargePointId, 1, 'SUSPENDED')).toBe(true);
    expect(await statusesOf(station.id)).toEqual(['SUSPENDED', 'AVAILABLE']);
    expect(await reportStatus(chargePointId, 1, 'AVAILABLE')).toBe(true);
    expect(await mark(station, 0, session, 'ENDED')).toBe(true);
    expect(await statusesOf(station.id)).toEqual(['AVAILABLE', 'AVAILABLE']);
    expect(await mark(station, 0, session, 'ENDED')).toBe(false); // already free
  });

  it('lets a new session take over a connector whose old hold was never ended; the late ENDED leaves it held', async () => {
    const { station } = await chargerStation();
    const [stale, next] = [newId(), newId()];
    await mark(station, 1, stale, 'CHARGING');
    expect(await mark(station, 1, next, 'STARTING')).toBe(true);
    expect(await mark(station, 1, stale, 'ENDED')).toBe(false);
    expect(await statusesOf(station.id)).toEqual(['AVAILABLE', 'PREPARING']);
  });

  it('keeps a manual station’s connector from showing AVAILABLE while a session holds it', async () => {
    const station = await createStation(h, operatorId, tariffId);
    const session = newId();
    expect(await mark(station, 0, session, 'CHARGING')).toBe(true);
    expect(await connectorsOf(h, station.id)).toEqual([
      expect.objectContaining({ status: 'CHARGING', statusSource: 'MANUAL' }),
      expect.objectContaining({ status: 'AVAILABLE', statusSource: 'MANUAL' }),
    ]);
    // The admin's AVAILABLE does not free it either; OUT_OF_ORDER is shown as set.
    const set = (status: string) =>
      h.station.run(
        SET,
        { input: { stationId: station.id, connectorId: station.connectors[0].id, status } },
        adminOf(operatorId),
      );
    expect(dataOf(await set('AVAILABLE'))).toEqual({
      setConnectorStatus: { id: station.connectors[0].id, status: 'CHARGING', statusSource: 'MANUAL' },
    });
    expect(dataOf(await set('OUT_OF_ORDER'))).toEqual({
      setConnectorStatus: { id: station.connectors[0].id, status: 'OUT_OF_ORDER', statusSource: 'MANUAL' },
    });
    await set('AVAILABLE');
    expect(await mark(station, 0, session, 'ENDED')).toBe(true);
    expect(await statusesOf(station.id)).toEqual(['AVAILABLE', 'AVAILABLE']);
  });

  it('answers NOT_FOUND for a connector of another station, BAD_USER_INPUT for a malformed session id', async () => {
    const a = await createStation(h, operatorId, tariffId);
    const b = await createStation(h, operatorId, tariffId);
    const foreign = await h.station.run(
      MARK,
      { input: { stationId: a.id, connectorId: b.connectors[0].id, sessionId: newId(), state: 'STARTING' } },
      service,
    );
    expect(errorCode(foreign)).toBe('NOT_FOUND');
    const malformed = await h.station.run(
      MARK,
      { input: { stationId: a.id, connectorId: a.connectors[0].id, sessionId: 'x', state: 'STARTING' } },
      service,
    );
    expect(errorCode(malformed)).toBe('BAD_USER_INPUT');
    expect(await statusesOf(b.id)).toEqual(['AVAILABLE', 'AVAILABLE']);
  });
});

describe('service-only operations', () => {
  it.each([
    ['a driver', driver],
    ["the station's operator admin", adminOf(UNKNOWN_ID)],
    ['a platform admin', platformAdmin],
    ['an anonymous caller', {}],
  ])('are FORBIDDEN for %s, and change nothing', async (_who, identity) => {
    const { station, chargePointId } = await chargerStation();
    const reported = await h.station.run(
      REPORT_STATUS,
      { input: { chargePointId, ocppConnectorId: 1, status: 'FAULTED', at: new Date().toISOString() } },
      identity,
    );
    expect(errorCode(reported)).toBe('FORBIDDEN');
    const marked = await h.station.run(
      MARK,
      {
        input: { stationId: station.id, connectorId: station.connectors[0].id, sessionId: newId(), state: 'STARTING' },
      },
      identity,
    );
    expect(errorCode(marked)).toBe('FORBIDDEN');
    expect(await statusesOf(station.id)).toEqual(['AVAILABLE', 'AVAILABLE']);
  });

  it('are absent from the composed API schema, with their own types', async () => {
    const contract = await buildContract(await loadSupergraphConfig(), subgraphModules);
    const api: GraphQLSchema = apiSchema(contract.supergraph);
    const query = api.getQueryType()?.getFields() ?? {};
    const mutation = api.getMutationType()?.getFields() ?? {};
    expect(query.chargePointLogin).toBeUndefined();
    for (const name of ['reportChargePointPresence', 'reportConnectorStatus', 'markConnectorSession'])
      expect(mutation[name], name).toBeUndefined();
    for (const name of [
      'ChargePointLogin',
      'ChargePointConnector',
      'ChargePointPresenceInput',
      'ReportConnectorStatusInput',
      'MarkConnectorSessionInput',
      'ConnectorSessionState',
    ])
      expect(api.getType(name), name).toBeUndefined();
    // The public parts are there.
    for (const name of ['registerChargePoint', 'rotateChargePointPassword', 'removeChargePoint', 'setConnectorStatus'])
      expect(mutation[name], name).toBeDefined();
    const station = api.getType('Station');
    const connector = api.getType('Connector');
    expect(isObjectType(station) && station.getFields().chargePoints).toBeTruthy();
    expect(isObjectType(connector) && Object.keys(connector.getFields())).toEqual(
      expect.arrayContaining(['ocppConnectorId', 'status', 'statusSource']),
    );
    expect(isInputObjectType(api.getType('RegisterChargePointInput'))).toBe(true);
  });
});

describe('manual setConnectorStatus', () => {
  it('is refused (CONFLICT) at a station with a charge point, and changes nothing', async () => {
    const { station, chargePointId } = await chargerStation();
    const result = await h.station.run(
      SET,
      { input: { stationId: station.id, connectorId: station.connectors[0].id, status: 'OUT_OF_ORDER' } },
      adminOf(operatorId),
    );
    expect(result.errors?.[0]).toMatchObject({
      message: expect.stringContaining(
        `has charge point ${chargePointId}: its connector statuses come from the charger`,
      ),
      extensions: { code: 'CONFLICT' },
    });
    expect(await statusesOf(station.id)).toEqual(['AVAILABLE', 'AVAILABLE']);
  });

  it('refuses OFFLINE with BAD_USER_INPUT', async () => {
    const station = await createStation(h, operatorId, tariffId);
    const result = await h.station.run(
      SET,
      { input: { stationId: station.id, connectorId: station.connectors[0].id, status: 'OFFLINE' } },
      adminOf(operatorId),
    );
    expect(errorCode(result)).toBe('BAD_USER_INPUT');
  });
});

describe('availableOnly', () => {
  const AVAILABLE = `query ($operatorId: ID!, $standard: ConnectorStandard) {
    stations(filter: { operatorId: $operatorId, availableOnly: true, connectorStandard: $standard }, first: 100) {
      edges { node { id } }
    }
  }`;

  it('returns only stations with a connector that is effectively AVAILABLE', async () => {
    const op = await createOperator(h, 'Filtered');
    const tariff = await createTariff(h, op);
    const one = [{ standard: 'CCS2', powerKw: 150 }];
    const make = async (charger: boolean) => {
      const station = await createStation(h, op, tariff, { connectors: one });
      const chargePointId = charger
        ? (await registerChargePoint(h, op, station.id, nextId())).chargePoint.chargePointId
        : undefined;
      if (chargePointId) await reportOnline(h, chargePointId);
      return { station, chargePointId };
    };
    const manualFree = await make(false);
    const manualHeld = await make(false);
    await mark(manualHeld.station, 0, newId(), 'CHARGING');
    const chargerFree = await make(true);
    const chargerStarting = await make(true);
    await mark(chargerStarting.station, 0, newId(), 'STARTING');
    const chargerOffline = await make(true);
    await reportOnline(h, chargerOffline.chargePointId!, -1);
    const neverConnected = await createStation(h, op, tariff, { connectors: one });
    await registerChargePoint(h, op, neverConnected.id, nextId());
    const chargerBusy = await make(true);
    await reportStatus(chargerBusy.chargePointId!, 1, 'CHARGING');

    const result = await h.station.run<{ stations: { edges: Array<{ node: { id: string } }> } }>(AVAILABLE, {
      operatorId: op,
    });
    expect(dataOf(result).stations.edges.map((e) => e.node.id)).toEqual([
      manualFree.station.id,
      chargerFree.station.id,
    ]);
    // Every station it leaves out shows no AVAILABLE connector.
    for (const left of [manualHeld, chargerStarting, chargerOffline, chargerBusy])
      expect(await statusesOf(left.station.id)).not.toContain('AVAILABLE');
    expect(await statusesOf(neverConnected.id)).toEqual(['OFFLINE']);

    const noMatch = await h.station.run<{ stations: { edges: unknown[] } }>(AVAILABLE, {
      operatorId: op,
      standard: 'TYPE2',
    });
    expect(dataOf(noMatch).stations.edges).toEqual([]);
  });
});
