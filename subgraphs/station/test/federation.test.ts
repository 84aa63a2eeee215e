import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../../platform/ids.js';
import { Connector, ConnectorStandard } from '../connector/connector.entity.js';
import { Address, GeoPoint, Station } from '../station/station.entity.js';
import { Tariff } from '../tariff/tariff.entity.js';
import {
  UNKNOWN_ID,
  createOperator,
  createStation,
  createTariff,
  dataOf,
  startHarness,
  statementsDuring,
  type Harness,
} from './harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.destroy());

const ENTITIES = `query ($r: [_Any!]!) { _entities(representations: $r) {
  ... on Station { id name operator { id } tariff { id currency energyPricePerKwh sessionFee { amount currency } } connectors { id standard } }
  ... on Tariff { id name currency operator { id } preAuthorization { amount currency } }
  ... on Operator { id stations(first: 3) { edges { node { id tariff { currency } connectors { id } } } pageInfo { hasNextPage } } }
} }`;

const representations = (typename: string, ids: string[]) => ids.map((id) => ({ __typename: typename, id }));

/**
 * Many stations with connectors under a few tariffs, written straight through the ORM: the statement counts below
 * are about reads, and 100 createStation calls would only slow the test down.
 */
async function seed(operatorIds: string[], stationsPerOperator: number): Promise<Map<string, string[]>> {
  const em = h.station.orm.em.fork();
  const byOperator = new Map<string, string[]>();
  for (const operatorId of operatorIds) {
    const tariff = em.create(Tariff, {
      operatorId,
      name: 'Seeded',
      currency: 'EUR',
      energyPricePerKwh: '0.39',
      timePricePerHour: '0',
      sessionFeeAmount: 0,
      taxRateBasisPoints: 1900,
      preAuthorizationAmount: 3000,
    });
    const ids: string[] = [];
    for (let i = 0; i < stationsPerOperator; i++) {
      const station = em.create(Station, {
        operatorId,
        name: `Seeded ${i}`,
        address: Object.assign(new Address(), {
          street: `Street ${i}`,
          city: 'Berlin',
          postalCode: '10115',
          country: 'DE',
        }),
        location: Object.assign(new GeoPoint(), { latitude: 52 + i / 1000, longitude: 13 }),
        timezone: 'Europe/Berlin',
        tariff,
      });
      em.create(Connector, { station, ocppConnectorId: 1, standard: ConnectorStandard.CCS2, powerKw: 150 });
      em.create(Connector, { station, ocppConnectorId: 2, standard: ConnectorStandard.TYPE2, powerKw: 22 });
      ids.push(station.id);
    }
    byOperator.set(operatorId, ids);
  }
  await em.flush();
  return byOperator;
}

describe('federation entities', () => {
  it('resolves stations and tariffs by key, unknown and malformed ids as null', async () => {
    const operatorId = await createOperator(h, 'Entities');
    const tariffId = await createTariff(h, operatorId);
    const station = await createStation(h, operatorId, tariffId, { name: 'Keyed' });

    const result = await h.station.run(ENTITIES, {
      r: [
        ...representations('Station', [station.id, UNKNOWN_ID, 'not-a-uuid']),
        ...representations('Tariff', [tariffId, UNKNOWN_ID, 'not-a-uuid']),
      ],
    });
    expect(dataOf(result)).toEqual({
      _entities: [
        {
          id: station.id,
          name: 'Keyed',
          operator: { id: operatorId },
          tariff: {
            id: tariffId,
            currency: 'EUR',
            energyPricePerKwh: '0.349',
            sessionFee: { amount: 50, currency: 'EUR' },
          },
          connectors: station.connectors.map(({ id, standard }) => ({ id, standard })),
        },
        null,
        null,
        {
          id: tariffId,
          name: 'Standard',
          currency: 'EUR',
          operator: { id: operatorId },
          preAuthorization: { amount: 5000, currency: 'EUR' },
        },
        null,
        null,
      ],
    });
  });

  it("contributes Operator.stations: each operator's first page", async () => {
    const [a, b, empty] = [newId(), newId(), newId()];
    const seeded = await seed([a, b], 4);
    const result = await h.station.run<{
      _entities: Array<{
        id: string;
        stations: { edges: Array<{ node: { id: string } }>; pageInfo: { hasNextPage: boolean } };
      }>;
    }>(ENTITIES, { r: representations('Operator', [a, b, empty, 'not-a-uuid']) });
    const pages = dataOf(result)._entities;
    expect(pages.map((page) => page.id)).toEqual([a, b, empty, 'not-a-uuid']);
    expect(pages[0].stations.edges.map((edge) => edge.node.id)).toEqual(seeded.get(a)!.slice(0, 3));
    expect(pages[1].stations.edges.map((edge) => edge.node.id)).toEqual(seeded.get(b)!.slice(0, 3));
    expect(pages.map((page) => page.stations.pageInfo.hasNextPage)).toEqual([true, true, false, false]);
    expect(pages[2].stations.edges).toEqual([]);

    const PAGE = `query ($r: [_Any!]!, $after: String) { _entities(representations: $r) { ... on Operator {
      stations(first: 3, after: $after) { edges { node { id } } pageInfo { hasNextPage endCursor } }
    } } }`;
    type OperatorPage = {
      _entities: Array<{
        stations: { edges: Array<{ node: { id: string } }>; pageInfo: { hasNextPage: boolean; endCursor: string } };
      }>;
    };
    const firstPage = dataOf(await h.station.run<OperatorPage>(PAGE, { r: representations('Operator', [a]) }));
    const endCursor = firstPage._entities[0].stations.pageInfo.endCursor;
    const next = dataOf(
      await h.station.run<OperatorPage>(PAGE, { r: representations('Operator', [a]), after: endCursor }),
    );
    expect(next._entities[0].stations.edges).toEqual([{ node: { id: seeded.get(a)![3] } }]);
    expect(next._entities[0].stations.pageInfo.hasNextPage).toBe(false);
  });
});

describe('batching', () => {
  const STATION_LIST = `query ($r: [_Any!]!) { _entities(representations: $r) { ... on Station { id operator { id } tariff { currency } connectors { id } } } }`;

  it('resolves 10 and 100 stations with their tariff and connectors in the same number of statements', async () => {
    const operators = Array.from({ length: 5 }, () => newId());
    const ids = [...(await seed(operators, 20)).values()].flat();
    expect(ids).toHaveLength(100);

    const count = async (stationIds: string[]) => {
      let answer: Array<{ connectors: unknown[] } | null> = [];
      const statements = await statementsDuring(h, async () => {
        answer = dataOf(
          await h.station.run<{ _entities: Array<{ connectors: unknown[] } | null> }>(STATION_LIST, {
            r: representations('Station', stationIds),
          }),
        )._entities;
      });
      expect(answer).toHaveLength(stationIds.length);
      expect(answer.every((station) => station?.connectors.length === 2)).toBe(true);
      return statements;
    };
    const ten = await count(ids.slice(0, 10));
    const hundred = await count(ids);
    expect(hundred.length).toBe(ten.length);
    expect(hundred).toHaveLength(3); // stations, their tariffs, their connectors
  });

  it("pages many operators' stations in the same number of statements", async () => {
    const few = Array.from({ length: 3 }, () => newId());
    const many = Array.from({ length: 30 }, () => newId());
    await seed([...few, ...many], 4);
    const count = (operatorIds: string[]) =>
      statementsDuring(h, async () =>
        dataOf(await h.station.run(ENTITIES, { r: representations('Operator', operatorIds) })),
      );
    const small = await count(few);
    const large = await count(many);
    expect(large.length).toBe(small.length);
    expect(large).toHaveLength(3); // the pages, their tariffs, their connectors
  });
});
