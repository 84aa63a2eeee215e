import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestSubgraph } from '../../../test/support/subgraph.js';
import { testConfig } from '../../../test/support/config.js';
import { stationSubgraph } from '../index.js';
import {
  CENTER,
  CREATE_STATION,
  UNKNOWN_ID,
  adminOf,
  createOperator,
  createStation,
  createTariff,
  dataOf,
  driver,
  errorCode,
  platformAdmin,
  rowCounts,
  startHarness,
  stationInput,
  type Harness,
} from './harness.js';

let h: Harness;
let operatorId: string;
let tariffId: string;
let otherOperatorId: string;
let otherTariffId: string;
beforeAll(async () => {
  h = await startHarness();
  operatorId = await createOperator(h, 'Voltia');
  tariffId = await createTariff(h, operatorId);
  otherOperatorId = await createOperator(h, 'Rival');
  otherTariffId = await createTariff(h, otherOperatorId);
});
afterAll(() => h.destroy());

describe('createStation', () => {
  it("lets the operator's own admin create a station with its connectors", async () => {
    const before = await rowCounts(h);
    const result = await h.station.run<{ createStation: Record<string, unknown> }>(
      CREATE_STATION,
      { input: stationInput(operatorId, tariffId) },
      adminOf(operatorId),
    );
    expect(dataOf(result).createStation).toMatchObject({
      name: 'Alexanderplatz',
      timezone: 'Europe/Berlin',
      address: { street: 'Alexanderplatz 1', city: 'Berlin', postalCode: '10178', country: 'DE' },
      location: CENTER,
      operator: { id: operatorId },
      tariff: { id: tariffId, currency: 'EUR' },
      connectors: [
        { standard: 'CCS2', powerKw: 150, status: 'AVAILABLE' },
        { standard: 'TYPE2', powerKw: 22, status: 'AVAILABLE' },
      ],
    });
    expect(await rowCounts(h)).toEqual({ ...before, stations: before.stations + 1, connectors: before.connectors + 2 });
  });

  it.each([
    ["another operator's admin", () => adminOf(otherOperatorId), 'FORBIDDEN'],
    ['a driver', () => driver, 'FORBIDDEN'],
    ['an anonymous caller', () => ({}), 'UNAUTHENTICATED'],
  ])('refuses %s and writes nothing', async (_who, identity, code) => {
    const before = await rowCounts(h);
    const result = await h.station.run(CREATE_STATION, { input: stationInput(operatorId, tariffId) }, identity());
    expect(result.data).toBeNull();
    expect(errorCode(result)).toBe(code);
    expect(await rowCounts(h)).toEqual(before);
  });

  it('answers NOT_FOUND for an operator the operator subgraph does not know', async () => {
    const before = await rowCounts(h);
    const result = await h.station.run(CREATE_STATION, { input: stationInput(UNKNOWN_ID, tariffId) }, platformAdmin);
    expect(errorCode(result)).toBe('NOT_FOUND');
    expect(await rowCounts(h)).toEqual(before);
  });

  it.each([
    ["another operator's tariff", () => otherTariffId, /belongs to another operator/],
    ['an unknown tariff', () => UNKNOWN_ID, /does not exist/],
  ])('rejects %s with BAD_USER_INPUT and writes nothing', async (_case, tariff, message) => {
    const before = await rowCounts(h);
    const result = await h.station.run(
      CREATE_STATION,
      { input: stationInput(operatorId, tariff()) },
      adminOf(operatorId),
    );
    expect(result.errors?.[0]).toMatchObject({
      message: expect.stringMatching(message),
      extensions: { code: 'BAD_USER_INPUT', field: 'tariffId' },
    });
    expect(await rowCounts(h)).toEqual(before);
  });

  it.each([
    [
      'a latitude above 90',
      { location: { latitude: 90.5, longitude: 13 } },
      'location.latitude must not be greater than 90',
    ],
    [
      'a longitude below -180',
      { location: { latitude: 52, longitude: -181 } },
      'location.longitude must not be less than -180',
    ],
    ['an unknown time zone', { timezone: 'Europe/Atlantis' }, 'timezone must be an IANA time zone'],
    [
      'an unknown country',
      { address: { street: 'S 1', city: 'C', postalCode: '1', country: 'XX' } },
      'address.country must be an ISO 3166-1',
    ],
    [
      'an empty street',
      { address: { street: '', city: 'C', postalCode: '1', country: 'DE' } },
      'address.street must be longer',
    ],
    ['no connectors', { connectors: [] }, 'connectors must contain at least 1'],
    [
      '51 connectors',
      { connectors: Array.from({ length: 51 }, () => ({ standard: 'CCS2', powerKw: 50 })) },
      'connectors must contain no more than 50',
    ],
    [
      'a connector without power',
      {
        connectors: [
          { standard: 'CCS2', powerKw: 50 },
          { standard: 'CCS2', powerKw: 0 },
        ],
      },
      'connectors[1].powerKw must be a positive number',
    ],
    [
      'a connector above 1000 kW',
      { connectors: [{ standard: 'CCS2', powerKw: 1000.5 }] },
      'connectors[0].powerKw must not be greater than 1000',
    ],
  ])('rejects %s with BAD_USER_INPUT naming the problem, and writes nothing', async (_case, override, message) => {
    const before = await rowCounts(h);
    const result = await h.station.run(
      CREATE_STATION,
      { input: stationInput(operatorId, tariffId, override) },
      adminOf(operatorId),
    );
    expect(errorCode(result)).toBe('BAD_USER_INPUT');
    expect(result.errors?.[0].message).toContain(message);
    expect(await rowCounts(h)).toEqual(before);
  });

  it('rejects an unknown connector standard before any resolver runs', async () => {
    const result = await h.station.run(
      CREATE_STATION,
      { input: stationInput(operatorId, tariffId, { connectors: [{ standard: 'SCHUKO', powerKw: 3.7 }] }) },
      adminOf(operatorId),
    );
    expect(errorCode(result)).toBe('BAD_USER_INPUT');
  });

  it('answers UPSTREAM_UNAVAILABLE and writes nothing when the operator subgraph is down', async () => {
    // Port 9 (discard) on localhost: nothing listens, the connection is refused at once.
    const offline = await createTestSubgraph(
      stationSubgraph,
      testConfig({ OPERATOR_URL: 'http://127.0.0.1:9/graphql', SUBGRAPH_TIMEOUT_MS: '2000' }),
    );
    try {
      const result = await offline.run(CREATE_STATION, { input: stationInput(operatorId, tariffId) }, platformAdmin);
      expect(errorCode(result)).toBe('UPSTREAM_UNAVAILABLE');
      expect(result.errors?.[0].message).toMatch(/operator service did not answer/);
    } finally {
      await offline.destroy();
    }
  });
});

describe('updateStation', () => {
  const UPDATE = `mutation ($id: ID!, $input: UpdateStationInput!) {
    updateStation(id: $id, input: $input) { name timezone location { latitude longitude } address { city } tariff { id } }
  }`;

  it("lets the operator's own admin rename, move and re-price a station", async () => {
    const station = await createStation(h, operatorId, tariffId);
    const newTariffId = await createTariff(h, operatorId, { name: 'Night' });
    const input = {
      name: 'Alex Nord',
      timezone: 'Europe/Paris',
      location: { latitude: 52.53, longitude: 13.41 },
      address: { street: 'Rue 1', city: 'Paris', postalCode: '75001', country: 'FR' },
      tariffId: newTariffId,
    };
    const result = await h.station.run(UPDATE, { id: station.id, input }, adminOf(operatorId));
    expect(dataOf(result)).toEqual({
      updateStation: {
        name: 'Alex Nord',
        timezone: 'Europe/Paris',
        location: input.location,
        address: { city: 'Paris' },
        tariff: { id: newTariffId },
      },
    });
    const reread = await h.station.run(`query ($id: ID!) { station(id: $id) { name tariff { id } } }`, {
      id: station.id,
    });
    expect(dataOf(reread)).toEqual({ station: { name: 'Alex Nord', tariff: { id: newTariffId } } });
  });

  it("refuses another operator's tariff, another operator's admin, bad input and unknown stations", async () => {
    const station = await createStation(h, operatorId, tariffId);
    const foreignTariff = await h.station.run(
      UPDATE,
      { id: station.id, input: { tariffId: otherTariffId } },
      adminOf(operatorId),
    );
    expect(errorCode(foreignTariff)).toBe('BAD_USER_INPUT');
    const foreignAdmin = await h.station.run(
      UPDATE,
      { id: station.id, input: { name: 'Hijacked' } },
      adminOf(otherOperatorId),
    );
    expect(errorCode(foreignAdmin)).toBe('FORBIDDEN');
    const badZone = await h.station.run(
      UPDATE,
      { id: station.id, input: { timezone: 'Mars/Olympus' } },
      adminOf(operatorId),
    );
    expect(errorCode(badZone)).toBe('BAD_USER_INPUT');
    const unknown = await h.station.run(UPDATE, { id: UNKNOWN_ID, input: { name: 'Ghost' } }, platformAdmin);
    expect(errorCode(unknown)).toBe('NOT_FOUND');

    const reread = await h.station.run(`query ($id: ID!) { station(id: $id) { name timezone tariff { id } } }`, {
      id: station.id,
    });
    expect(dataOf(reread)).toEqual({
      station: { name: 'Alexanderplatz', timezone: 'Europe/Berlin', tariff: { id: tariffId } },
    });
  });
});

describe('setConnectorStatus', () => {
  const SET = `mutation ($input: SetConnectorStatusInput!) { setConnectorStatus(input: $input) { id status } }`;

  it("lets the operator's own admin change a connector's status", async () => {
    const station = await createStation(h, operatorId, tariffId);
    const connectorId = station.connectors[0].id;
    const result = await h.station.run(
      SET,
      { input: { stationId: station.id, connectorId, status: 'OUT_OF_ORDER' } },
      adminOf(operatorId),
    );
    expect(dataOf(result)).toEqual({ setConnectorStatus: { id: connectorId, status: 'OUT_OF_ORDER' } });
    const reread = await h.station.run<{ station: { connectors: Array<{ id: string; status: string }> } }>(
      `query ($id: ID!) { station(id: $id) { connectors { id status } } }`,
      { id: station.id },
    );
    expect(dataOf(reread).station.connectors[0]).toEqual({ id: connectorId, status: 'OUT_OF_ORDER' });
  });

  it("refuses a connector of another station, another operator's station, drivers and unknown stations", async () => {
    const own = await createStation(h, operatorId, tariffId);
    const foreign = await createStation(h, otherOperatorId, otherTariffId);

    // The caller manages `own`, but names a connector that is not one of its connectors.
    const mismatch = await h.station.run(
      SET,
      { input: { stationId: own.id, connectorId: foreign.connectors[0].id, status: 'CHARGING' } },
      adminOf(operatorId),
    );
    expect(mismatch.errors?.[0]).toMatchObject({
      message: `Station ${own.id} has no connector ${foreign.connectors[0].id}.`,
      extensions: { code: 'NOT_FOUND' },
    });

    const foreignStation = await h.station.run(
      SET,
      { input: { stationId: foreign.id, connectorId: foreign.connectors[0].id, status: 'CHARGING' } },
      adminOf(operatorId),
    );
    expect(errorCode(foreignStation)).toBe('FORBIDDEN');
    const byDriver = await h.station.run(
      SET,
      { input: { stationId: own.id, connectorId: own.connectors[0].id, status: 'CHARGING' } },
      driver,
    );
    expect(errorCode(byDriver)).toBe('FORBIDDEN');
    const unknown = await h.station.run(
      SET,
      { input: { stationId: UNKNOWN_ID, connectorId: own.connectors[0].id, status: 'CHARGING' } },
      platformAdmin,
    );
    expect(errorCode(unknown)).toBe('NOT_FOUND');

    const statuses = await h.station.run<{
      a: { connectors: Array<{ status: string }> };
      b: { connectors: Array<{ status: string }> };
    }>(
      `query ($a: ID!, $b: ID!) { a: station(id: $a) { connectors { status } } b: station(id: $b) { connectors { status } } }`,
      { a: own.id, b: foreign.id },
    );
    const all = [...dataOf(statuses).a.connectors, ...dataOf(statuses).b.connectors];
    expect(all.every((c) => c.status === 'AVAILABLE')).toBe(true);
  });
});

describe('station query', () => {
  it('answers NOT_FOUND for an unknown or malformed id', async () => {
    for (const id of [UNKNOWN_ID, 'not-a-uuid']) {
      const result = await h.station.run(`query ($id: ID!) { station(id: $id) { id } }`, { id });
      expect(errorCode(result)).toBe('NOT_FOUND');
    }
  });
});
