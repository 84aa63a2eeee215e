/**
 * Bulk history for analytics and benchmarks, written straight into each subgraph's own database with set-based SQL
 * (a million sessions take minutes, not hours): operators, tariffs, stations and connectors, payment accounts, then
 * sessions with their payments, declined attempts and refunds.
 *
 * Consistent across databases without copying rows between them: every value of session `i` is a pure function of
 * `i` (PostgreSQL's `hashint8extended(i, k)` as the random source), and the session and payment databases evaluate the
 * same SQL for the same `i`s. Ids are deterministic too (UUIDv7 from the start time and an md5 of `i`), so the payment
 * of session `i` names exactly the session the session database holds. Runs append: a second run continues at the
 * next `i` (10k, then 990k more = 1M). Bulk rows are recognisable by their driver ids (`bulk-driver-…`) and
 * provider ids (`acct_bulk_…`, `pi_bulk_…`).
 */
import { createHash } from 'node:crypto';
import pg from 'pg';
import type { Config, SubgraphName } from '../platform/config.js';
import { openDatabase } from '../platform/database.js';
import { databaseUrl } from '../platform/database-admin.js';
import { minorDigits } from '../platform/money.js';
import { subgraphModules } from '../subgraphs/index.js';

export interface BulkOptions {
  /** Sessions to add. */
  sessions: number;
  /** Operators in the catalogue (≥ 20); only used when the bulk catalogue does not exist yet. */
  operators?: number;
  /** Stations in the catalogue (≥ 1000). */
  stations?: number;
  /** Local date after the last day of history (default: the first day of the current UTC month). */
  end?: string;
  /** Days of history before `end` (default 365). */
  days?: number;
  /** Sessions per SQL statement (progress and memory; default 50 000). */
  chunk?: number;
  log?: (line: string) => void;
}

export interface BulkOperator {
  id: string;
  name: string;
  currency: string;
  timeZones: string[];
  stationIds: string[];
  /** The operator's home city, around which its stations are spread. */
  latitude: number;
  longitude: number;
}

export interface BulkResult {
  operators: BulkOperator[];
  stationCount: number;
  /** Local dates [from, to) the sessions started in. */
  window: { from: string; to: string };
  sessionsAdded: number;
  sessionsTotal: number;
  millis: number;
}

interface OperatorTemplate {
  name: string;
  country: string;
  currency: string;
  city: string;
  latitude: number;
  longitude: number;
  zones: string[];
  /** Net price per kWh and per hour in major units, flat fee in minor units, tax, hold in minor units. */
  tariff: { energy: string; time: string; fee: number; taxBps: number; hold: number };
}

/** 24 operators on five continents, zero-decimal currencies (JPY, KRW) and odd offsets (Kolkata +5:30, Kathmandu +5:45) among them. */
const TEMPLATES: OperatorTemplate[] = [
  {
    name: 'Stromfluss',
    country: 'DE',
    currency: 'EUR',
    city: 'Berlin',
    latitude: 52.52,
    longitude: 13.405,
    zones: ['Europe/Berlin'],
    tariff: { energy: '0.39', time: '0.6', fee: 50, taxBps: 1900, hold: 5000 },
  },
  {
    name: 'Denki Charge',
    country: 'JP',
    currency: 'JPY',
    city: 'Tokyo',
    latitude: 35.68,
    longitude: 139.77,
    zones: ['Asia/Tokyo'],
    tariff: { energy: '55', time: '0', fee: 100, taxBps: 1000, hold: 6000 },
  },
  {
    name: 'Liberty Volt',
    country: 'US',
    currency: 'USD',
    city: 'New York',
    latitude: 40.71,
    longitude: -74.0,
    zones: ['America/New_York', 'America/Chicago', 'America/Los_Angeles'],
    tariff: { energy: '0.45', time: '0', fee: 0, taxBps: 800, hold: 6000 },
  },
  {
    name: 'Highland Volt',
    country: 'GB',
    currency: 'GBP',
    city: 'Edinburgh',
    latitude: 55.95,
    longitude: -3.19,
    zones: ['Europe/London'],
    tariff: { energy: '0.69', time: '0', fee: 0, taxBps: 2000, hold: 4000 },
  },
  {
    name: 'Borne Bleue',
    country: 'FR',
    currency: 'EUR',
    city: 'Paris',
    latitude: 48.86,
    longitude: 2.35,
    zones: ['Europe/Paris'],
    tariff: { energy: '0.42', time: '1.2', fee: 0, taxBps: 2000, hold: 5000 },
  },
  {
    name: 'Outback Charge',
    country: 'AU',
    currency: 'AUD',
    city: 'Sydney',
    latitude: -33.87,
    longitude: 151.21,
    zones: ['Australia/Sydney', 'Australia/Perth'],
    tariff: { energy: '0.6', time: '0', fee: 100, taxBps: 1000, hold: 8000 },
  },
  {
    name: 'Alpen eMobil',
    country: 'CH',
    currency: 'CHF',
    city: 'Zürich',
    latitude: 47.38,
    longitude: 8.54,
    zones: ['Europe/Zurich'],
    tariff: { energy: '0.59', time: '0.6', fee: 100, taxBps: 810, hold: 6000 },
  },
  {
    name: 'Maple Current',
    country: 'CA',
    currency: 'CAD',
    city: 'Toronto',
    latitude: 43.65,
    longitude: -79.38,
    zones: ['America/Toronto', 'America/Vancouver'],
    tariff: { energy: '0.5', time: '0', fee: 0, taxBps: 1300, hold: 6000 },
  },
  {
    name: 'Bharat Charge',
    country: 'IN',
    currency: 'INR',
    city: 'Mumbai',
    latitude: 19.08,
    longitude: 72.88,
    zones: ['Asia/Kolkata'],
    tariff: { energy: '21', time: '0', fee: 0, taxBps: 1800, hold: 50000 },
  },
  {
    name: 'Nordlys Lading',
    country: 'NO',
    currency: 'NOK',
    city: 'Oslo',
    latitude: 59.91,
    longitude: 10.75,
    zones: ['Europe/Oslo'],
    tariff: { energy: '4.9', time: '0', fee: 0, taxBps: 2500, hold: 50000 },
  },
  {
    name: 'Seoul Plug',
    country: 'KR',
    currency: 'KRW',
    city: 'Seoul',
    latitude: 37.57,
    longitude: 126.98,
    zones: ['Asia/Seoul'],
    tariff: { energy: '347', time: '0', fee: 0, taxBps: 1000, hold: 50000 },
  },
  {
    name: 'Iberia Carga',
    country: 'ES',
    currency: 'EUR',
    city: 'Madrid',
    latitude: 40.42,
    longitude: -3.7,
    zones: ['Europe/Madrid', 'Atlantic/Canary'],
    tariff: { energy: '0.44', time: '0', fee: 0, taxBps: 2100, hold: 5000 },
  },
  {
    name: 'Kiwi Amp',
    country: 'NZ',
    currency: 'NZD',
    city: 'Auckland',
    latitude: -36.85,
    longitude: 174.76,
    zones: ['Pacific/Auckland'],
    tariff: { energy: '0.7', time: '0', fee: 0, taxBps: 1500, hold: 8000 },
  },
  {
    name: 'Polska Prąd',
    country: 'PL',
    currency: 'PLN',
    city: 'Warsaw',
    latitude: 52.23,
    longitude: 21.01,
    zones: ['Europe/Warsaw'],
    tariff: { energy: '2.4', time: '0', fee: 0, taxBps: 2300, hold: 20000 },
  },
  {
    name: 'Lion City EV',
    country: 'SG',
    currency: 'SGD',
    city: 'Singapore',
    latitude: 1.35,
    longitude: 103.82,
    zones: ['Asia/Singapore'],
    tariff: { energy: '0.68', time: '0', fee: 0, taxBps: 900, hold: 6000 },
  },
  {
    name: 'Carga Brasil',
    country: 'BR',
    currency: 'BRL',
    city: 'São Paulo',
    latitude: -23.55,
    longitude: -46.63,
    zones: ['America/Sao_Paulo'],
    tariff: { energy: '2.2', time: '0', fee: 0, taxBps: 0, hold: 30000 },
  },
  {
    name: 'Dansk Strøm',
    country: 'DK',
    currency: 'DKK',
    city: 'Copenhagen',
    latitude: 55.68,
    longitude: 12.57,
    zones: ['Europe/Copenhagen'],
    tariff: { energy: '3.9', time: '0', fee: 0, taxBps: 2500, hold: 40000 },
  },
  {
    name: 'Sverige Laddning',
    country: 'SE',
    currency: 'SEK',
    city: 'Stockholm',
    latitude: 59.33,
    longitude: 18.07,
    zones: ['Europe/Stockholm'],
    tariff: { energy: '5.5', time: '0', fee: 0, taxBps: 2500, hold: 50000 },
  },
  {
    name: 'Emirates Charge',
    country: 'AE',
    currency: 'AED',
    city: 'Dubai',
    latitude: 25.2,
    longitude: 55.27,
    zones: ['Asia/Dubai'],
    tariff: { energy: '1.2', time: '0', fee: 0, taxBps: 500, hold: 20000 },
  },
  {
    name: 'Himal EV',
    country: 'NP',
    currency: 'NPR',
    city: 'Kathmandu',
    latitude: 27.72,
    longitude: 85.32,
    zones: ['Asia/Kathmandu'],
    tariff: { energy: '30', time: '0', fee: 0, taxBps: 1300, hold: 100000 },
  },
  {
    name: 'México Carga',
    country: 'MX',
    currency: 'MXN',
    city: 'Mexico City',
    latitude: 19.43,
    longitude: -99.13,
    zones: ['America/Mexico_City'],
    tariff: { energy: '8.5', time: '0', fee: 0, taxBps: 1600, hold: 100000 },
  },
  {
    name: 'Lusitânia Volt',
    country: 'PT',
    currency: 'EUR',
    city: 'Lisbon',
    latitude: 38.72,
    longitude: -9.14,
    zones: ['Europe/Lisbon', 'Atlantic/Azores'],
    tariff: { energy: '0.36', time: '0', fee: 0, taxBps: 2300, hold: 5000 },
  },
  {
    name: 'Cape Charge',
    country: 'ZA',
    currency: 'ZAR',
    city: 'Cape Town',
    latitude: -33.92,
    longitude: 18.42,
    zones: ['Africa/Johannesburg'],
    tariff: { energy: '7.9', time: '0', fee: 0, taxBps: 1500, hold: 100000 },
  },
  {
    name: 'Bosphorus Şarj',
    country: 'TR',
    currency: 'TRY',
    city: 'Istanbul',
    latitude: 41.01,
    longitude: 28.98,
    zones: ['Europe/Istanbul'],
    tariff: { energy: '9.9', time: '0', fee: 0, taxBps: 2000, hold: 100000 },
  },
];

/** Platform fee policies handed out round-robin: basis points and a fixed part in minor units. */
const FEE_POLICIES = [
  { bps: 0, fixed: 0 },
  { bps: 150, fixed: 0 },
  { bps: 200, fixed: 10 },
  { bps: 100, fixed: 0 },
  { bps: 250, fixed: 0 },
  { bps: 300, fixed: 5 },
];

const CONNECTOR_SETS = [
  [
    { standard: 'CCS2', powerKw: 150 },
    { standard: 'CCS2', powerKw: 150 },
    { standard: 'CHADEMO', powerKw: 50 },
  ],
  [
    { standard: 'TYPE2', powerKw: 22 },
    { standard: 'TYPE2', powerKw: 22 },
  ],
  [
    { standard: 'CCS2', powerKw: 350 },
    { standard: 'NACS', powerKw: 250 },
    { standard: 'CCS2', powerKw: 350 },
    { standard: 'CCS2', powerKw: 350 },
  ],
  [
    { standard: 'CCS2', powerKw: 50 },
    { standard: 'TYPE2', powerKw: 22 },
  ],
  [
    { standard: 'CCS2', powerKw: 150 },
    { standard: 'CCS2', powerKw: 150 },
    { standard: 'CCS2', powerKw: 150 },
    { standard: 'CCS2', powerKw: 150 },
    { standard: 'CCS2', powerKw: 150 },
    { standard: 'CCS2', powerKw: 150 },
  ],
];

export const BULK_DRIVER_PREFIX = 'bulk-driver-';

/** A deterministic UUID (version 4 layout) for a bulk catalogue row. */
export function bulkUuid(kind: string, n: number): string {
  const h = createHash('md5').update(`chargegraph-bulk:${kind}:${n}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

interface CatalogueStation {
  idx: number;
  id: string;
  operator: number;
  operatorId: string;
  name: string;
  tz: string;
  latitude: number;
  longitude: number;
  connectors: Array<{ id: string; standard: string; powerKw: number }>;
}

/** The catalogue as a pure function of the counts: operator sizes follow a Zipf-like curve (a few big, many small). */
export function bulkCatalogue(operatorCount = 24, stationCount = 1200) {
  const weights = Array.from({ length: operatorCount }, (_, k) => 1 / (k + 1) ** 0.6);
  const total = weights.reduce((a, b) => a + b, 0);
  const sizes = weights.map((w) => Math.max(5, Math.floor((stationCount * w) / total)));
  sizes[0] += stationCount - sizes.reduce((a, b) => a + b, 0); // the largest takes the rounding rest
  const operators = Array.from({ length: operatorCount }, (_, k) => {
    const template = TEMPLATES[k % TEMPLATES.length];
    return {
      k,
      id: bulkUuid('operator', k),
      name: `${template.name}${k >= TEMPLATES.length ? ` ${Math.floor(k / TEMPLATES.length) + 1}` : ''} (bulk)`,
      template,
      tariffId: bulkUuid('tariff', k),
      fee: FEE_POLICIES[k % FEE_POLICIES.length],
      account: `acct_bulk_${k}`,
    };
  });
  const stations: CatalogueStation[] = [];
  operators.forEach((operator, k) => {
    for (let j = 0; j < sizes[k]; j++) {
      const idx = stations.length;
      const set = CONNECTOR_SETS[idx % CONNECTOR_SETS.length];
      stations.push({
        idx,
        id: bulkUuid('station', idx),
        operator: k,
        operatorId: operator.id,
        name: `${operator.template.city} ${j + 1}`,
        tz: operator.template.zones[j % operator.template.zones.length],
        // Spread on a ~100 m grid around the city centre.
        latitude: operator.template.latitude + ((j % 40) - 20) * 0.001,
        longitude: operator.template.longitude + (Math.floor(j / 40) - 10) * 0.001,
        connectors: set.map((c, n) => ({ id: bulkUuid('connector', idx * 10 + n), ...c })),
      });
    }
  });
  return { operators, stations };
}

type Catalogue = ReturnType<typeof bulkCatalogue>;

/** Adds `options.sessions` sessions (and the catalogue, the first time) to the databases `config` names. */
export async function seedBulk(
  config: Pick<Config, 'DATABASE_URL' | 'DATABASE_PREFIX'>,
  options: BulkOptions,
): Promise<BulkResult> {
  const started = Date.now();
  const log = options.log ?? (() => {});
  const catalogue = bulkCatalogue(options.operators ?? 24, options.stations ?? 1200);
  const end = options.end ?? firstOfThisMonth();
  const days = options.days ?? 365;
  const from = addDays(end, -days);

  // Each subgraph's own migrations make its schema (exactly as the subgraph would at start).
  for (const name of ['operator', 'station', 'session', 'payment'] as const) {
    const module = subgraphModules[name];
    if (!module) throw new Error(`subgraph ${name} is not registered`);
    const orm = await openDatabase({
      clientUrl: databaseUrl(config, name),
      entities: module.entities,
      migrations: module.migrations,
    });
    await orm.close(true);
  }

  const db = async (name: SubgraphName) => {
    const client = new pg.Client({ connectionString: databaseUrl(config, name) });
    await client.connect();
    return client;
  };
  const [operatorDb, stationDb, sessionDb, paymentDb] = await Promise.all([
    db('operator'),
    db('station'),
    db('session'),
    db('payment'),
  ]);
  try {
    const exists = await operatorDb.query('select 1 from operator where id = $1', [catalogue.operators[0].id]);
    if (exists.rowCount === 0) {
      log(`catalogue: ${catalogue.operators.length} operators, ${catalogue.stations.length} stations`);
      await writeCatalogue(catalogue, operatorDb, stationDb, paymentDb);
    }
    const [{ count }] = (
      await sessionDb.query(
        `select count(*)::bigint as count from charging_session where driver_id like '${BULK_DRIVER_PREFIX}%'`,
      )
    ).rows as Array<{ count: string }>;
    const offset = Number(count);
    const chunk = options.chunk ?? 50_000;
    for (const client of [sessionDb, paymentDb]) await prepareSource(client, catalogue);
    for (let first = offset + 1; first <= offset + options.sessions; first += chunk) {
      const last = Math.min(first + chunk - 1, offset + options.sessions);
      const params = [first, last, from, days, catalogue.stations.length];
      // Two databases, two connections: both statements run at once.
      await Promise.all([sessionDb.query(INSERT_SESSIONS, params), paymentDb.query(INSERT_PAYMENTS, params)]);
      log(`sessions ${first}…${last} (${Math.round((Date.now() - started) / 1000)} s)`);
    }
    log('vacuum analyze');
    for (const table of ['charging_session', 'session_energy_daily']) await sessionDb.query(`vacuum analyze ${table}`);
    for (const table of ['payment', 'payment_decline', 'payment_revenue_daily', 'refund', 'operator_payment_account'])
      await paymentDb.query(`vacuum analyze ${table}`);
    for (const table of ['station', 'connector', 'tariff']) await stationDb.query(`vacuum analyze ${table}`);
    await operatorDb.query('vacuum analyze operator');

    return {
      operators: catalogue.operators.map((o) => ({
        id: o.id,
        name: o.name,
        currency: o.template.currency,
        timeZones: o.template.zones,
        latitude: o.template.latitude,
        longitude: o.template.longitude,
        stationIds: catalogue.stations.filter((s) => s.operator === o.k).map((s) => s.id),
      })),
      stationCount: catalogue.stations.length,
      window: { from, to: end },
      sessionsAdded: options.sessions,
      sessionsTotal: offset + options.sessions,
      millis: Date.now() - started,
    };
  } finally {
    await Promise.all([operatorDb, stationDb, sessionDb, paymentDb].map((c) => c.end()));
  }
}

async function writeCatalogue(
  catalogue: Catalogue,
  operatorDb: pg.Client,
  stationDb: pg.Client,
  paymentDb: pg.Client,
): Promise<void> {
  const created = '2025-01-01T00:00:00Z';
  await operatorDb.query(
    `insert into operator (id, created_at, updated_at, name, country, default_currency, contact_email, status)
     select id, $2, $2, name, country, currency, email, 'ACTIVE' from json_to_recordset($1::json) as t(id uuid, name text, country text, currency text, email text)
     on conflict (id) do nothing`,
    [
      JSON.stringify(
        catalogue.operators.map((o) => ({
          id: o.id,
          name: o.name,
          country: o.template.country,
          currency: o.template.currency,
          email: `ops${o.k}@bulk.example`,
        })),
      ),
      created,
    ],
  );
  await stationDb.query(
    `insert into tariff (id, created_at, updated_at, operator_id, name, currency, energy_price_per_kwh, time_price_per_hour, session_fee_amount, tax_rate_basis_points, pre_authorization_amount)
     select id, $2, $2, operator_id, 'Standard (bulk)', currency, energy, time, fee, tax, hold
       from json_to_recordset($1::json) as t(id uuid, operator_id uuid, currency text, energy numeric, time numeric, fee int, tax int, hold int)
     on conflict (id) do nothing`,
    [
      JSON.stringify(
        catalogue.operators.map((o) => ({
          id: o.tariffId,
          operator_id: o.id,
          currency: o.template.currency,
          energy: o.template.tariff.energy,
          time: o.template.tariff.time,
          fee: o.template.tariff.fee,
          tax: o.template.tariff.taxBps,
          hold: o.template.tariff.hold,
        })),
      ),
      created,
    ],
  );
  await stationDb.query(
    `insert into station (id, created_at, updated_at, operator_id, name, address_street, address_city, address_postal_code, address_country, latitude, longitude, timezone, tariff_id)
     select id, $2, $2, operator_id, name, street, city, '10000', country, latitude, longitude, tz, tariff_id
       from json_to_recordset($1::json) as t(id uuid, operator_id uuid, name text, street text, city text, country text, latitude float8, longitude float8, tz text, tariff_id uuid)
     on conflict (id) do nothing`,
    [
      JSON.stringify(
        catalogue.stations.map((s) => {
          const operator = catalogue.operators[s.operator];
          return {
            id: s.id,
            operator_id: s.operatorId,
            name: s.name,
            street: `${s.idx + 1} Bulk Street`,
            city: operator.template.city,
            country: operator.template.country,
            latitude: s.latitude,
            longitude: s.longitude,
            tz: s.tz,
            tariff_id: operator.tariffId,
          };
        }),
      ),
      created,
    ],
  );
  await stationDb.query(
    `insert into connector (id, created_at, updated_at, station_id, ocpp_connector_id, standard, power_kw, reported_status)
     select id, $2, $2, station_id, ocpp_connector_id, standard, power_kw, 'AVAILABLE' from json_to_recordset($1::json) as t(id uuid, station_id uuid, ocpp_connector_id int, standard text, power_kw float8)
     on conflict (id) do nothing`,
    [
      JSON.stringify(
        catalogue.stations.flatMap((s) =>
          s.connectors.map((c, i) => ({
            id: c.id,
            station_id: s.id,
            ocpp_connector_id: i + 1,
            standard: c.standard,
            power_kw: c.powerKw,
          })),
        ),
      ),
      created,
    ],
  );
  await paymentDb.query(
    `insert into operator_payment_account (id, created_at, updated_at, operator_id, provider_account_id, charges_enabled, payouts_enabled, details_submitted, onboarding_status, fee_basis_points, fee_fixed_amount, provider_state_at)
     select id, $2, $2, operator_id, account, true, true, true, 'COMPLETE', bps, fixed, $2 from json_to_recordset($1::json) as t(id uuid, operator_id uuid, account text, bps int, fixed int)
     on conflict do nothing`,
    [
      JSON.stringify(
        catalogue.operators.map((o) => ({
          id: bulkUuid('account', o.k),
          operator_id: o.id,
          account: o.account,
          bps: o.fee.bps,
          fixed: minorDigits(o.template.currency) === 0 ? 0 : o.fee.fixed,
        })),
      ),
      created,
    ],
  );
}

/** The same helper function and station table in the session and the payment database (per connection, `pg_temp`). */
async function prepareSource(client: pg.Client, catalogue: Catalogue): Promise<void> {
  // A uniform random number in [0, 1) that is a pure function of (i, k): the same in every database of the server.
  await client.query(`create or replace function pg_temp.cg_r(i bigint, k int) returns float8 language sql immutable parallel safe
    as $$ select ((hashint8extended(i, k) >> 11) & 9007199254740991)::float8 / 9007199254740992.0 $$`);
  await client.query('drop table if exists pg_temp.bulk_station');
  await client.query(`create temp table bulk_station (
    idx int primary key, id uuid, operator_id uuid, tz text, connectors text[], nconn int, kw float8,
    tariff_id uuid, currency text, digits int, energy_price numeric, time_price numeric, session_fee int, tax_bps int, hold int,
    fee_bps int, fee_fixed int, account text)`);
  const rows = catalogue.stations.map((s) => {
    const operator = catalogue.operators[s.operator];
    const t = operator.template;
    return {
      idx: s.idx,
      id: s.id,
      operator_id: s.operatorId,
      tz: s.tz,
      connectors: s.connectors.map((c) => c.id),
      nconn: s.connectors.length,
      kw: s.connectors.reduce((sum, c) => sum + c.powerKw, 0) / s.connectors.length,
      tariff_id: operator.tariffId,
      currency: t.currency,
      digits: minorDigits(t.currency),
      energy_price: t.tariff.energy,
      time_price: t.tariff.time,
      session_fee: t.tariff.fee,
      tax_bps: t.tariff.taxBps,
      hold: t.tariff.hold,
      fee_bps: operator.fee.bps,
      fee_fixed: minorDigits(t.currency) === 0 ? 0 : operator.fee.fixed,
      account: operator.account,
    };
  });
  await client.query('insert into bulk_station select * from json_populate_recordset(null::bulk_station, $1::json)', [
    JSON.stringify(rows),
  ]);
  await client.query('analyze bulk_station');
}

/**
 * Session `i` for i in [$1, $2]: station (popular ones more often: big operators first), local start in the window
 * [$3, $3 + $4 days) in the station's own zone (mostly 07:00–22:00), duration, energy from the connectors' power,
 * outcome, and the price exactly as the pricing rule computes it (session/pricing/pricing.ts) from the tariff.
 * The payment columns (`pay_*`) follow from further draws of the same `i`.
 */
const SOURCE = `
  g as (
    select i, pg_temp.cg_r(i, 1) as r_station, pg_temp.cg_r(i, 2) as r_day, pg_temp.cg_r(i, 3) as r_hour, pg_temp.cg_r(i, 4) as r_dur,
           pg_temp.cg_r(i, 5) as r_power, pg_temp.cg_r(i, 6) as r_status, pg_temp.cg_r(i, 7) as r_conn, pg_temp.cg_r(i, 8) as r_driver,
           pg_temp.cg_r(i, 9) as r_pay, pg_temp.cg_r(i, 10) as r_refund, pg_temp.cg_r(i, 11) as r_share, pg_temp.cg_r(i, 12) as r_capture
      from generate_series($1::bigint, $2::bigint) as i
  ),
  a as (
    select g.*, st.*,
           ($3::date + floor(g.r_day * $4)::int)::timestamp
             + make_interval(secs => floor(case when g.r_hour < 0.85 then 7 * 3600 + g.r_hour / 0.85 * 15 * 3600 else (g.r_hour - 0.85) / 0.15 * 86400 end)) as local_start,
           case when g.r_status < 0.985 then 'COMPLETED' when g.r_status < 0.993 then 'FAILED' else 'CANCELLED' end as status,
           case when g.r_status < 0.993 then 600 + floor(power(g.r_dur, 1.7) * 6600)::int else 60 + floor(g.r_dur * 240)::int end as seconds
      from g join bulk_station st on st.idx = least(floor(power(g.r_station, 1.2) * $5)::int, $5 - 1)
  ),
  b as (
    select a.*, (a.local_start at time zone a.tz) as started_at,
           case when a.status = 'CANCELLED' then 0
                else least(60000 + floor(a.r_power * 30000)::int,
                           round(a.kw * (0.2 + 0.6 * a.r_power) * a.seconds / 3.6 * case when a.status = 'FAILED' then 0.3 else 1 end)::int)
           end as energy_wh
      from a
  ),
  c as (
    select b.*, b.started_at + make_interval(secs => b.seconds) as ended_at,
           round(b.energy_wh::numeric * b.energy_price * (10 ^ b.digits)::numeric / 1000)::int as cost_energy,
           round(b.seconds::numeric * b.time_price * (10 ^ b.digits)::numeric / 3600)::int as cost_time,
           (lpad(to_hex((extract(epoch from b.started_at) * 1000)::bigint), 12, '0') || '7' || substr(md5('bulk-session:' || b.i), 1, 3) || '8' || substr(md5('bulk-session:' || b.i), 4, 15))::uuid as session_id,
           '${BULK_DRIVER_PREFIX}' || floor(b.r_driver * 20000)::int as driver_id
      from b
  ),
  s as (
    select c.*, round((c.cost_energy + c.cost_time + c.session_fee)::numeric * c.tax_bps / 10000)::int as cost_tax from c
  ),
  src as (
    select s.*, s.cost_energy + s.cost_time + s.session_fee + s.cost_tax as cost_total from s
  )`;

const INSERT_SESSIONS = `
  with ${SOURCE}
  insert into charging_session (id, created_at, updated_at, status, station_id, connector_id, driver_id, operator_id, started_at, ended_at,
    energy_wh, last_meter_at, time_zone, tariff_id, tariff_currency, tariff_energy_price_per_kwh, tariff_time_price_per_hour,
    tariff_session_fee_amount, tariff_tax_rate_basis_points, tariff_pre_authorization_amount,
    cost_energy, cost_time, cost_session_fee, cost_tax, cost_total)
  select session_id, started_at, ended_at, status, id, connectors[1 + floor(r_conn * nconn)::int], driver_id, operator_id, started_at, ended_at,
         energy_wh, ended_at, tz, tariff_id, currency, energy_price, time_price, session_fee, tax_bps, hold,
         cost_energy, cost_time, session_fee, cost_tax, cost_total
    from src
   order by started_at`;

/**
 * Payments of the COMPLETED sessions among [$1, $2], by a further draw:
 *  - 90 %   paid at once: the hold is captured (a total above the hold: the hold is released and attempt 2 charges);
 *  - 4 %    the hold is declined (its row is deleted, a decline recorded), then an off-session charge succeeds;
 *  - 3.5 %  the off-session charge is declined, the driver saves another card, attempt 2 succeeds 1–48 h later;
 *  - 2.5 %  declined and still FAILED.
 * 4 % of the succeeded payments are refunded later: 40 % of those in full, the rest in part.
 */
const INSERT_PAYMENTS = `
  with ${SOURCE},
  pay as (
    select src.*,
           case when r_pay < 0.90 then 'CLEAN' when r_pay < 0.94 then 'HOLD_DECLINED' when r_pay < 0.975 then 'CHARGE_DECLINED' else 'FAILED' end as outcome,
           least(cost_total, round(cost_total::numeric * fee_bps / 10000)::int + fee_fixed) as fee
      from src where status = 'COMPLETED'
  ),
  pay2 as (
    select pay.*,
           (lpad(to_hex((extract(epoch from started_at) * 1000)::bigint + 1), 12, '0') || '7' || substr(md5('bulk-payment:' || i), 1, 3) || '8' || substr(md5('bulk-payment:' || i), 4, 15))::uuid as payment_id,
           case outcome when 'CLEAN' then case when cost_total <= hold then 1 else 2 end when 'CHARGE_DECLINED' then 2 else 1 end as attempt,
           case when outcome = 'CLEAN' and cost_total <= hold then 'HOLD' else 'CHARGE' end as kind,
           case outcome
             when 'CLEAN' then ended_at + make_interval(secs => 5 + floor(r_capture * 115))
             when 'HOLD_DECLINED' then ended_at + make_interval(secs => 5 + floor(r_capture * 115))
             when 'CHARGE_DECLINED' then ended_at + make_interval(secs => 3600 + floor(r_capture * 47 * 3600))
           end as captured_at
      from pay
  ),
  payments as (
    insert into payment (id, created_at, updated_at, session_id, operator_id, driver_id, provider_account_id, payment_intent_id, attempt, kind, status,
      currency, authorized_amount, amount, application_fee_amount, refunded_amount, failure_code, failure_message, needs_attention, card_brand, card_last4,
      captured_at, version, time_zone)
    select payment_id, started_at, coalesce(captured_at, ended_at), session_id, operator_id, driver_id, account, 'pi_bulk_' || i || '_' || attempt, attempt, kind,
           case when outcome = 'FAILED' then 'FAILED' else 'SUCCEEDED' end,
           currency, case when outcome = 'CLEAN' then hold end, cost_total,
           case when outcome = 'FAILED' then null else fee end,
           case when outcome <> 'FAILED' and r_refund < 0.04 then case when r_share < 0.4 then cost_total else greatest(1, round(cost_total * (0.2 + 0.6 * r_share))::int) end else 0 end,
           case when outcome = 'FAILED' then 'card_declined' end,
           case when outcome = 'FAILED' then 'Your card was declined.' end,
           false, 'visa', '4242', captured_at, 1, tz
      from pay2
    returning id, currency, refunded_amount, captured_at
  ),
  refunds as (
    insert into refund (id, created_at, updated_at, payment_id, provider_refund_id, amount, currency, reason, status)
    select md5('bulk-refund:' || id)::uuid, captured_at + interval '2 days', captured_at + interval '2 days', id, 're_bulk_' || id, refunded_amount, currency, 'REQUESTED_BY_CUSTOMER', 'SUCCEEDED'
      from payments where refunded_amount > 0
    returning id
  )
  insert into payment_decline (id, payment_id, session_id, operator_id, attempt, kind, currency, amount, failure_code, time_zone, declined_at)
  select md5('bulk-decline:' || i)::uuid,
         case when outcome = 'HOLD_DECLINED' then md5('bulk-declined-hold:' || i)::uuid else payment_id end,
         session_id, operator_id, 1,
         case when outcome = 'HOLD_DECLINED' then 'HOLD' else 'CHARGE' end,
         currency,
         case when outcome = 'HOLD_DECLINED' then hold else cost_total end,
         case outcome when 'HOLD_DECLINED' then null when 'CHARGE_DECLINED' then 'insufficient_funds' else 'card_declined' end,
         tz,
         case when outcome = 'HOLD_DECLINED' then started_at + interval '3 seconds' else ended_at + interval '5 seconds' end
    from pay2 where outcome <> 'CLEAN'`;

function firstOfThisMonth(): string {
  const now = new Date();
  return `${now.getUTCFullYear()}-${String(now.getUTCMonth() + 1).padStart(2, '0')}-01`;
}

export function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}
