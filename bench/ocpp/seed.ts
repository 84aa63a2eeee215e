/**
 * Data of the OCPP benchmark, written through the subgraphs' own GraphQL APIs (every rule a client's data passes
 * applies), called directly with an identity signed per call, as the gateway would forward it (no gateway in
 * between: it would only add its own cost to the setup): one post-paid operator (sessions start without a card
 * hold, so the Stripe emulator is not what is measured), a tariff, N stations of two 22 kW connectors each with one
 * charge point, and M drivers with a linked RFID tag. Stations and most charge points are written set-based in SQL
 * (thousands of createStation / registerChargePoint calls would take most of the time budget, and they are the
 * setting, not what is measured); the first 250 charge points are registered through the API.
 */
import pg from 'pg';
import { newId } from '../../platform/ids.js';
import { hashPassword, newPassword } from '../../subgraphs/station/charge-point/charge-point.password.js';
import { IDENTITY_HEADER, IdentitySigner, Role, type Identity } from '../../platform/identity.js';
import type { SubgraphName } from '../../platform/config.js';
import type { ChargerSpec } from './protocol.js';

export const CONNECTORS_PER_STATION = 2;
const PLATFORM_ADMIN: Identity = { role: Role.PLATFORM_ADMIN, sub: 'bench-ocpp' };
/** Mutations per request (aliases): fewer round trips and signatures while seeding. */
const BATCH = 25;
/** Charge points registered through the API; the others get rows of the same making (see below). */
const API_REGISTRATIONS = 250;

export class SubgraphCaller {
  private readonly signer: IdentitySigner;

  constructor(
    private readonly urls: Record<SubgraphName, string>,
    signingSecret: string,
  ) {
    this.signer = new IdentitySigner('bench', signingSecret);
  }

  async call<T>(
    subgraph: SubgraphName,
    identity: Identity,
    query: string,
    variables: Record<string, unknown> = {},
  ): Promise<T> {
    const body = JSON.stringify({ query, variables });
    const response = await fetch(this.urls[subgraph], {
      method: 'POST',
      headers: { 'content-type': 'application/json', [IDENTITY_HEADER]: this.signer.sign(identity, body) },
      body,
      signal: AbortSignal.timeout(30_000),
    });
    const answer = (await response.json().catch(() => ({}))) as {
      data?: T;
      errors?: Array<{ message: string; extensions?: { code?: string } }>;
    };
    if (answer.errors?.length || !answer.data)
      throw new Error(
        `${subgraph}: ${query.replace(/\s+/g, ' ').slice(0, 80)}…: ${answer.errors?.map((e) => `${e.extensions?.code ?? ''} ${e.message}`).join('; ') ?? `HTTP ${response.status}`}`,
      );
    return answer.data;
  }
}

export async function forEachLimited<T>(items: T[], limit: number, task: (item: T) => Promise<void>): Promise<void> {
  let index = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (index < items.length) await task(items[index++]);
    }),
  );
}

const chunks = <T>(items: T[], size: number): T[][] =>
  Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, (i + 1) * size));

export interface OcppBenchData {
  operatorId: string;
  chargers: Array<ChargerSpec & { stationId: string }>;
  /** One per driver: that driver's RFID tag. */
  idTags: string[];
}

export async function seedOcppData(
  caller: SubgraphCaller,
  {
    stations,
    drivers,
    runId,
    stationDatabaseUrl,
  }: { stations: number; drivers: number; runId: string; stationDatabaseUrl: string },
  log: (line: string) => void,
): Promise<OcppBenchData> {
  const t0 = performance.now();
  const { createOperator } = await caller.call<{ createOperator: { id: string } }>(
    'operator',
    PLATFORM_ADMIN,
    `mutation ($input: CreateOperatorInput!) { createOperator(input: $input) { id } }`,
    {
      input: { name: `OCPP bench ${runId}`, country: 'DE', defaultCurrency: 'EUR', contactEmail: 'bench@ocpp.example' },
    },
  );
  const operatorId = createOperator.id;
  await caller.call(
    'operator',
    PLATFORM_ADMIN,
    `mutation ($id: ID!) { updateOperator(id: $id, input: { postPaid: true }) { id } }`,
    {
      id: operatorId,
    },
  );
  const admin: Identity = { role: Role.OPERATOR_ADMIN, sub: 'bench-ocpp-admin', operatorId };
  const { createTariff } = await caller.call<{ createTariff: { id: string } }>(
    'station',
    admin,
    `mutation ($input: CreateTariffInput!) { createTariff(input: $input) { id } }`,
    {
      input: {
        operatorId,
        name: 'OCPP bench AC',
        currency: 'EUR',
        energyPricePerKwh: '0.39',
        timePricePerHour: '0',
        sessionFee: 0,
        taxRateBasisPoints: 1900,
        preAuthorizationAmount: 5000,
      },
    },
  );

  // Stations are the setting, not what is measured: written set-based into the station database, with the columns
  // dev/bulk-data.ts writes (bench:scale's catalogue); connectors numbered 1..n for OCPP as createStation does.
  const stationIds = Array.from({ length: stations }, () => newId());
  const db = new pg.Client({ connectionString: stationDatabaseUrl });
  await db.connect();
  try {
    const now = new Date().toISOString();
    await db.query(
      `insert into station (id, created_at, updated_at, operator_id, name, address_street, address_city, address_postal_code, address_country, latitude, longitude, timezone, tariff_id)
       select id, $2, $2, $3, 'Bench pillar ' || n, n || ' Bench Street', 'Berlin', '10117', 'DE',
              52.4 + (n % 100) * 0.002, 13.3 + (n / 100) * 0.002, 'Europe/Berlin', $4
         from unnest($1::uuid[]) with ordinality as t(id, n)`,
      [stationIds, now, operatorId, createTariff.id],
    );
    await db.query(
      `insert into connector (id, created_at, updated_at, station_id, ocpp_connector_id, standard, power_kw, reported_status)
       select ($2::uuid[])[(s.n - 1) * ${CONNECTORS_PER_STATION} + k], $3, $3, s.id, k, 'TYPE2', 22, 'AVAILABLE'
         from unnest($1::uuid[]) with ordinality as s(id, n), generate_series(1, ${CONNECTORS_PER_STATION}) as k`,
      [stationIds, Array.from({ length: stations * CONNECTORS_PER_STATION }, () => newId()), now],
    );
  } finally {
    await db.end();
  }
  log(`seeded ${stations} stations in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

  const t1 = performance.now();
  const chargers: OcppBenchData['chargers'] = stationIds.map((stationId, index) => ({
    chargePointId: `BENCH-${runId}-${index + 1}`,
    password: '',
    connectors: CONNECTORS_PER_STATION,
    stationId,
  }));
  // The first ones through registerChargePoint (the path an operator takes; their passwords as it returned them),
  // the rest set-based with the station subgraph's own password generator and hash: the login is the same.
  const viaApi = chargers.slice(0, Math.min(API_REGISTRATIONS, chargers.length));
  await forEachLimited(chunks(viaApi, BATCH), 6, async (batch) => {
    const query = `mutation { ${batch
      .map(
        (c, j) =>
          `c${j}: registerChargePoint(input: { stationId: ${JSON.stringify(c.stationId)}, chargePointId: ${JSON.stringify(c.chargePointId)} }) { password chargePoint { chargePointId } }`,
      )
      .join(' ')} }`;
    const data = await caller.call<Record<string, { password: string; chargePoint: { chargePointId: string } }>>(
      'station',
      admin,
      query,
    );
    batch.forEach((c, j) => {
      if (data[`c${j}`].chargePoint.chargePointId !== c.chargePointId)
        throw new Error('registration answered another id');
      c.password = data[`c${j}`].password;
    });
  });
  const rest = chargers.slice(viaApi.length);
  if (rest.length) {
    const rows = rest.map((c) => {
      c.password = newPassword();
      const { salt, hash } = hashPassword(c.password);
      return { id: newId(), station_id: c.stationId, charge_point_id: c.chargePointId, salt, hash };
    });
    const db = new pg.Client({ connectionString: stationDatabaseUrl });
    await db.connect();
    try {
      await db.query(
        `insert into charge_point (id, created_at, updated_at, station_id, charge_point_id, password_salt, password_hash)
         select id, now(), now(), station_id, charge_point_id, salt, hash
           from json_to_recordset($1::json) as t(id uuid, station_id uuid, charge_point_id text, salt text, hash text)`,
        [JSON.stringify(rows)],
      );
    } finally {
      await db.end();
    }
  }
  log(
    `registered ${stations} charge points (${viaApi.length} through registerChargePoint) in ${((performance.now() - t1) / 1000).toFixed(1)} s`,
  );

  const t2 = performance.now();
  // OCPP 1.6 idTag: CiString20.
  const idTags = Array.from({ length: drivers }, (_, i) => `B${runId.slice(0, 8)}${String(i).padStart(6, '0')}`);
  await forEachLimited(
    idTags.map((idTag, i) => ({ idTag, i })),
    8,
    async ({ idTag, i }) => {
      await caller.call(
        'session',
        { role: Role.DRIVER, sub: `bench-ocpp-driver-${runId}-${i}` },
        `mutation ($idTag: String!) { linkRfidTag(idTag: $idTag) { idTag } }`,
        { idTag },
      );
    },
  );
  log(`linked ${drivers} drivers' RFID tags in ${((performance.now() - t2) / 1000).toFixed(1)} s`);
  return { operatorId, chargers, idTags };
}
