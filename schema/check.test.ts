import { readFile } from 'node:fs/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import { subgraphModules } from '../subgraphs/index.js';
import { checkSubgraph, formatReport, type CheckReport } from './check.js';
import { composeConfig, loadSupergraphConfig, type SupergraphConfig } from './config.js';
import { printSubgraphSdl } from './contract.js';
import { isOurSubgraph } from './ownership.js';

let config: SupergraphConfig;
let contract: string;
let station: string;
const read = (file: string) => readFile(new URL(file, import.meta.url), 'utf8');

beforeAll(async () => {
  config = await loadSupergraphConfig();
  contract = await read('supergraph.graphql');
  station = await read('station.graphql');
});

/** A candidate SDL made from the published one; fails loudly if the edit no longer applies. */
function edit(sdl: string, from: string | RegExp, to: string): string {
  const edited = sdl.replace(from, to);
  expect(edited, `edit ${String(from)} no longer applies to the SDL`).not.toBe(sdl);
  return edited;
}

const check = (name: string, sdl: string, options: { contract?: string; today?: Date } = {}) =>
  checkSubgraph({ config, contract: options.contract ?? contract, candidate: { name, sdl }, today: options.today });

const STATION_CREATED_AT =
  /(type Station\n {2}@key\(fields: "id"\)\n {2}@cacheControl\([^)]*\)\n\{\n {2}id: ID!\n) {2}createdAt: DateTimeISO!\n/;
const partnerSdl = (body: string, imports = '"@key"') =>
  `extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: [${imports}])\n${body}`;

function problems(report: CheckReport): string[] {
  return [
    ...report.compositionErrors,
    ...report.ownership.map((v) => `${v.coordinate}: ${v.message}`),
    ...report.changes.filter((c) => c.level === 'breaking').map((c) => c.message),
  ];
}

describe('schema check (npm run schema:check)', () => {
  it('passes our subgraphs as the code prints them against the committed contract', async () => {
    const report = await checkSubgraph({
      config,
      contract,
      ourSdl: async (entry) => {
        const module = isOurSubgraph(entry.name) ? subgraphModules[entry.name] : undefined;
        if (!module) throw new Error(`no module for ${entry.name}`);
        return printSubgraphSdl(module);
      },
    });
    expect(report.passed, formatReport(report)).toBe(true);
    expect(report.changes.filter((c) => c.level !== 'safe')).toEqual([]);
  });

  it.each([
    [
      'a removed field',
      () => edit(station, /\n {2}name: String!\n {2}address: Address!/, '\n  address: Address!'),
      "Field 'name' was removed from object type 'Station'",
    ],
    [
      'an input made stricter',
      () =>
        edit(
          station,
          /\n {4}after: String\n {4}filter: StationFilter\n/,
          '\n    after: String\n    filter: StationFilter!\n',
        ),
      "Type for argument 'filter' on field 'Query.stations' changed from 'StationFilter' to 'StationFilter!'",
    ],
    [
      'an output made looser',
      () => edit(station, STATION_CREATED_AT, '$1  createdAt: DateTimeISO\n'),
      "Field 'Station.createdAt' changed type from 'DateTimeISO!' to 'DateTimeISO'",
    ],
    [
      'a removed enum value',
      () => edit(station, /\n {2}GBT\n/, '\n'),
      "Enum value 'GBT' was removed from enum 'ConnectorStandard'",
    ],
    [
      'a withdrawn key',
      () => edit(station, /type Tariff\n {2}@key\(fields: "id"\)\n/, 'type Tariff\n'),
      'Key Tariff @key(fields: "id") in station was withdrawn',
    ],
  ])('fails one of our subgraphs on %s, naming the change', async (_case, candidate, named) => {
    const report = await check('station', candidate());
    expect(report.passed).toBe(false);
    expect(problems(report).join('\n')).toContain(named);
    const text = formatReport(report);
    expect(text).toContain(named);
    expect(text).toMatch(/FAILED/);
  });

  it('lets a field go once the removal date it was deprecated with has passed', async () => {
    const deprecated = edit(
      station,
      STATION_CREATED_AT,
      '$1  createdAt: DateTimeISO! @deprecated(reason: "Use firstSeenAt. Removal after 2026-01-31.")\n',
    );
    const { composition } = await composeConfig(config, { candidate: { name: 'station', sdl: deprecated } });
    const published = composition.supergraphSdl ?? '';
    const removed = edit(station, STATION_CREATED_AT, '$1');
    expect((await check('station', removed, { contract: published, today: new Date('2026-02-01') })).passed).toBe(true);
    expect((await check('station', removed, { contract: published, today: new Date('2026-01-15') })).passed).toBe(
      false,
    );
  });

  it('passes a partner that extends our entities by their keys with fields of its own', async () => {
    const report = await check(
      'reviews',
      await readFile(new URL('../test/partner/reviews.graphql', import.meta.url), 'utf8'),
    );
    expect(report.passed, formatReport(report)).toBe(true);
    expect(report.changes.map((c) => c.message)).toContain("Field 'reviews' was added to object type 'Station'");
  });

  it.each([
    ['redefines Station.name', partnerSdl('type Station @key(fields: "id") { id: ID! name: String! }'), 'Station.name'],
    [
      'shares Station.name',
      partnerSdl('type Station @key(fields: "id") { id: ID! name: String! @shareable }', '"@key", "@shareable"'),
      'Station.name',
    ],
    [
      'takes over Station.name with @override',
      partnerSdl(
        'type Station @key(fields: "id") { id: ID! name: String @override(from: "station") }',
        '"@key", "@override"',
      ),
      'Station.name: partner "evil" may not use @override',
    ],
    ['adds a root field we own', partnerSdl('type Query { station(id: ID!): String }'), 'Query.station'],
    [
      'redefines one of our enums',
      partnerSdl('enum OperatorStatus { ACTIVE SUSPENDED }\ntype Query { evilStatus: OperatorStatus }'),
      "OperatorStatus: ChargeGraph's type, not an entity",
    ],
    [
      'asks for our data with @requires',
      partnerSdl(
        'type Station @key(fields: "id") { id: ID! timezone: String! @external local: String @requires(fields: "timezone") }',
        '"@key", "@external", "@requires"',
      ),
      'Station.local: partner "evil" may not use @requires',
    ],
    [
      'extends by a key we do not publish',
      partnerSdl(
        'type Tariff @key(fields: "id currency") { id: ID! currency: String! @external stars: Int }',
        '"@key", "@external"',
      ),
      'Tariff: partner "evil" must extend it by a key ChargeGraph publishes',
    ],
    [
      'adds a non-null field to our type',
      partnerSdl('type Station @key(fields: "id") { id: ID! stars: Int! }'),
      'Station.stars: partner fields on ChargeGraph types must be nullable',
    ],
    [
      'hides one of our fields',
      partnerSdl('type Station @key(fields: "id") { id: ID! @inaccessible stars: Int }', '"@key", "@inaccessible"'),
      "Field 'id' was removed from object type 'Station'",
    ],
  ])('refuses a partner that %s', async (_case, sdl, named) => {
    const report = await check('evil', sdl);
    expect(report.passed).toBe(false);
    expect(problems(report).join('\n')).toContain(named);
  });
});
