import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LatLng } from '../geo.js';
import {
  CENTER,
  UNKNOWN_ID,
  adminOf,
  createOperator,
  createStation,
  createTariff,
  dataOf,
  destination,
  errorCode,
  startHarness,
  type CreatedStation,
  type Harness,
} from './harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.destroy());

type Page = {
  stations: {
    edges: Array<{ cursor: string; node: { id: string; name: string } }>;
    pageInfo: { hasNextPage: boolean; endCursor: string | null };
  };
};
const STATIONS = `query ($filter: StationFilter, $first: Int, $after: String) {
  stations(filter: $filter, first: $first, after: $after) { edges { cursor node { id name } } pageInfo { hasNextPage endCursor } }
}`;

async function names(filter: Record<string, unknown>, first = 100): Promise<string[]> {
  const result = await h.station.run<Page>(STATIONS, { filter, first });
  return dataOf(result)
    .stations.edges.map((edge) => edge.node.name)
    .sort();
}

/** A fresh operator, so each test filters its own stations only. */
async function operatorWithTariff(name: string) {
  const operatorId = await createOperator(h, name);
  return { operatorId, tariffId: await createTariff(h, operatorId) };
}

describe('stations near a point', () => {
  it('returns exactly the stations within the radius', async () => {
    const { operatorId, tariffId } = await operatorWithTariff('Geo');
    // Known great-circle distances from the centre, in several directions.
    const placed: Array<[string, LatLng]> = [
      ['0 km', CENTER],
      ['1 km N', destination(CENTER, 1, 0)],
      ['4.9 km E', destination(CENTER, 4.9, 90)],
      ['4.99 km SW', destination(CENTER, 4.99, 225)],
      ['5.01 km S', destination(CENTER, 5.01, 180)],
      ['5.2 km NE', destination(CENTER, 5.2, 45)],
      ['20 km W', destination(CENTER, 20, 270)],
    ];
    for (const [name, location] of placed) await createStation(h, operatorId, tariffId, { name, location });

    expect(await names({ operatorId, near: { ...CENTER, radiusKm: 5 } })).toEqual([
      '0 km',
      '1 km N',
      '4.9 km E',
      '4.99 km SW',
    ]);
    expect(await names({ operatorId, near: { ...CENTER, radiusKm: 0.5 } })).toEqual(['0 km']);
    expect(await names({ operatorId, near: { ...CENTER, radiusKm: 25 } })).toHaveLength(7);
  });

  it('finds stations across the antimeridian and around a pole', async () => {
    const { operatorId, tariffId } = await operatorWithTariff('Far away');
    await createStation(h, operatorId, tariffId, {
      name: 'Fiji west',
      location: { latitude: -17, longitude: -179.99 },
      timezone: 'Pacific/Fiji',
    });
    await createStation(h, operatorId, tariffId, {
      name: 'Fiji far',
      location: { latitude: -17, longitude: -179.5 },
      timezone: 'Pacific/Fiji',
    });
    await createStation(h, operatorId, tariffId, {
      name: 'North pole',
      location: { latitude: 89.99, longitude: 180 },
      timezone: 'UTC',
    });

    expect(await names({ operatorId, near: { latitude: -17, longitude: 179.99, radiusKm: 5 } })).toEqual(['Fiji west']);
    expect(await names({ operatorId, near: { latitude: 89.99, longitude: 0, radiusKm: 5 } })).toEqual(['North pole']);
  });

  it.each([
    ['a latitude above 90', { latitude: 90.1, longitude: 0, radiusKm: 1 }, 'near.latitude must not be greater than 90'],
    [
      'a longitude below -180',
      { latitude: 0, longitude: -180.1, radiusKm: 1 },
      'near.longitude must not be less than -180',
    ],
    ['a zero radius', { latitude: 0, longitude: 0, radiusKm: 0 }, 'near.radiusKm must be a positive number'],
    [
      'a radius above 500 km',
      { latitude: 0, longitude: 0, radiusKm: 500.5 },
      'near.radiusKm must not be greater than 500',
    ],
  ])('rejects %s with BAD_USER_INPUT', async (_case, near, message) => {
    const result = await h.station.run(STATIONS, { filter: { near } });
    expect(errorCode(result)).toBe('BAD_USER_INPUT');
    expect(result.errors?.[0].message).toContain(message);
  });
});

describe('stations by connector', () => {
  it('filters by standard and by availability of a connector of that standard', async () => {
    const { operatorId, tariffId } = await operatorWithTariff('Plugs');
    await createStation(h, operatorId, tariffId, {
      name: 'CCS free',
      connectors: [{ standard: 'CCS2', powerKw: 150 }],
    });
    const ccsBusy = await createStation(h, operatorId, tariffId, {
      name: 'CCS busy, Type 2 free',
      connectors: [
        { standard: 'CCS2', powerKw: 150 },
        { standard: 'TYPE2', powerKw: 22 },
      ],
    });
    const broken = await createStation(h, operatorId, tariffId, {
      name: 'All broken',
      connectors: [{ standard: 'NACS', powerKw: 250 }],
    });
    await createStation(h, operatorId, tariffId, {
      name: 'CHAdeMO',
      connectors: [{ standard: 'CHADEMO', powerKw: 50 }],
    });

    const SET = `mutation ($input: SetConnectorStatusInput!) { setConnectorStatus(input: $input) { status } }`;
    const set = (station: CreatedStation, index: number, status: string) =>
      h.station.run(
        SET,
        { input: { stationId: station.id, connectorId: station.connectors[index].id, status } },
        adminOf(operatorId),
      );
    dataOf(await set(ccsBusy, 0, 'CHARGING'));
    dataOf(await set(broken, 0, 'OUT_OF_ORDER'));

    expect(await names({ operatorId, connectorStandard: 'CCS2' })).toEqual(['CCS busy, Type 2 free', 'CCS free']);
    // One connector must be both CCS2 and AVAILABLE: the busy station's free Type 2 does not count.
    expect(await names({ operatorId, connectorStandard: 'CCS2', availableOnly: true })).toEqual(['CCS free']);
    expect(await names({ operatorId, availableOnly: true })).toEqual(['CCS busy, Type 2 free', 'CCS free', 'CHAdeMO']);
    expect(await names({ operatorId, connectorStandard: 'GBT' })).toEqual([]);
    expect(await names({ operatorId, availableOnly: false })).toHaveLength(4);
    expect(
      await names({ operatorId, connectorStandard: 'CCS2', availableOnly: true, near: { ...CENTER, radiusKm: 1 } }),
    ).toEqual(['CCS free']);
  });
});

describe('station pages', () => {
  it('pages through the catalogue with opaque cursors, in creation order, without gaps or repeats', async () => {
    const { operatorId, tariffId } = await operatorWithTariff('Pages');
    const created: string[] = [];
    for (let i = 0; i < 5; i++) created.push((await createStation(h, operatorId, tariffId, { name: `P${i}` })).id);

    const seen: string[] = [];
    let after: string | null = null;
    for (let i = 0; i < 10; i++) {
      const page: Page = dataOf(await h.station.run<Page>(STATIONS, { filter: { operatorId }, first: 2, after }));
      seen.push(...page.stations.edges.map((edge) => edge.node.id));
      expect(page.stations.edges.length).toBeLessThanOrEqual(2);
      if (!page.stations.pageInfo.hasNextPage) break;
      after = page.stations.pageInfo.endCursor;
    }
    expect(seen).toEqual(created);
  });

  it("lists all operators' stations when no filter is given, and refuses bad page arguments", async () => {
    const all = dataOf(await h.station.run<Page>(STATIONS, { first: 100 }));
    expect(all.stations.edges.length).toBeGreaterThan(0);
    expect(errorCode(await h.station.run(STATIONS, { first: 101 }))).toBe('BAD_USER_INPUT');
    expect(errorCode(await h.station.run(STATIONS, { first: 0 }))).toBe('BAD_USER_INPUT');
    expect(errorCode(await h.station.run(STATIONS, { after: 'bogus' }))).toBe('BAD_USER_INPUT');
    expect(errorCode(await h.station.run(STATIONS, { filter: { operatorId: 'not-a-uuid' } }))).toBe('BAD_USER_INPUT');
  });

  it('returns an empty page for an operator without stations', async () => {
    const page = dataOf(await h.station.run<Page>(STATIONS, { filter: { operatorId: UNKNOWN_ID } }));
    expect(page.stations).toEqual({ edges: [], pageInfo: { hasNextPage: false, endCursor: null } });
  });
});
