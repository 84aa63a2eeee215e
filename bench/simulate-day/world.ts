import type Stripe from 'stripe';
import { graphqlCaller } from '../../dev/graphql-call.js';
import { onboardOperators, waitUntilPayable } from '../../dev/seed.js';
import type { TokenClaims } from '../../dev/tokens.js';
import { Role } from '../../platform/identity.js';
import type { PublicApi } from './client.js';

/** The four currencies of the day, JPY (zero-decimal) among them; operator i charges in CURRENCIES[i % 4]. */
export const CURRENCIES = ['EUR', 'GBP', 'CHF', 'JPY'] as const;
export type Currency = (typeof CURRENCIES)[number];

const COUNTRIES: Record<Currency, string[]> = {
  EUR: ['DE', 'FR', 'NL', 'AT', 'IE'],
  GBP: ['GB'],
  CHF: ['CH'],
  JPY: ['JP'],
};
/** Energy price per kWh (major units), the hold (minor units) and the session fee (minor units) per currency. */
const PRICES: Record<Currency, { perKwh: string; hold: number; sessionFee: number }> = {
  EUR: { perKwh: '0.39', hold: 3000, sessionFee: 50 },
  GBP: { perKwh: '0.69', hold: 3000, sessionFee: 0 },
  CHF: { perKwh: '0.59', hold: 4000, sessionFee: 100 },
  JPY: { perKwh: '55', hold: 4000, sessionFee: 100 },
};
const CONNECTORS_PER_STATION = 4;
const CONNECTOR_POWER_KW = 150;

export const platformAdmin: TokenClaims = { role: Role.PLATFORM_ADMIN, sub: 'simday-admin' };

export interface SimOperator {
  id: string;
  index: number;
  currency: Currency;
  /** The connected account at the provider (from the provider's side: the emulator's account list). */
  account: string;
  admin: TokenClaims;
  stationId: string;
  pricePerKwh: number;
  hold: number;
  sessionFee: number;
  feePolicy: { basisPoints: number; fixedAmount: number; refundApplicationFee: boolean };
  connectors: Pool<{ stationId: string; connectorId: string }>;
}

/** Things to hand out one at a time (connectors, drivers): `take` waits until one is free. */
export class Pool<T> {
  private readonly free: T[];
  private readonly waiting: Array<(item: T) => void> = [];

  constructor(items: T[]) {
    this.free = [...items];
  }

  take(): Promise<T> {
    const item = this.free.shift();
    if (item !== undefined) return Promise.resolve(item);
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  give(item: T): void {
    const next = this.waiting.shift();
    if (next) next(item);
    else this.free.push(item);
  }
}

/**
 * `count` operators through the public API as a platform admin would set them up: operator, fee policy (a share
 * and a fixed part that differ per operator; every fifth keeps its fee on refunds), tariff, one station with four
 * connectors, onboarding at the provider (the emulator completes it when the link is opened).
 */
export async function createOperators(
  api: PublicApi,
  gatewayUrl: string,
  adminToken: string,
  stripe: Stripe,
  count: number,
): Promise<SimOperator[]> {
  const operators: SimOperator[] = [];
  for (let index = 0; index < count; index++) {
    const currency = CURRENCIES[index % CURRENCIES.length];
    const countries = COUNTRIES[currency];
    const country = countries[Math.floor(index / CURRENCIES.length) % countries.length];
    const prices = PRICES[currency];
    const { createOperator } = await api.must<{ createOperator: { id: string } }>(
      platformAdmin,
      `mutation ($input: CreateOperatorInput!) { createOperator(input: $input) { id } }`,
      {
        input: {
          name: `Simday ${currency} ${index + 1}`,
          country,
          defaultCurrency: currency,
          contactEmail: `ops${index + 1}@simday.example`,
        },
      },
    );
    const feePolicy = {
      basisPoints: (index * 137) % 1200,
      fixedAmount: index % 3 === 0 ? 0 : currency === 'JPY' ? 5 : 10,
      refundApplicationFee: index % 5 !== 4,
    };
    await api.must(
      platformAdmin,
      `mutation ($input: SetOperatorFeePolicyInput!) { setOperatorFeePolicy(input: $input) { id } }`,
      { input: { operatorId: createOperator.id, ...feePolicy } },
    );
    const { createTariff } = await api.must<{ createTariff: { id: string } }>(
      platformAdmin,
      `mutation ($input: CreateTariffInput!) { createTariff(input: $input) { id } }`,
      {
        input: {
          operatorId: createOperator.id,
          name: 'day rate',
          currency,
          energyPricePerKwh: prices.perKwh,
          timePricePerHour: '0',
          sessionFee: prices.sessionFee,
          taxRateBasisPoints: 0,
          preAuthorizationAmount: prices.hold,
        },
      },
    );
    const { createStation } = await api.must<{ createStation: { id: string; connectors: Array<{ id: string }> } }>(
      platformAdmin,
      `mutation ($input: CreateStationInput!) { createStation(input: $input) { id connectors { id } } }`,
      {
        input: {
          operatorId: createOperator.id,
          name: `Simday ${index + 1} Central`,
          address: { street: `${index + 1} Main Street`, city: 'Simcity', postalCode: '10000', country },
          location: { latitude: 48 + index * 0.01, longitude: 11 + index * 0.01 },
          timezone: 'Europe/Berlin',
          tariffId: createTariff.id,
          connectors: Array.from({ length: CONNECTORS_PER_STATION }, () => ({
            standard: 'CCS2',
            powerKw: CONNECTOR_POWER_KW,
          })),
        },
      },
    );
    operators.push({
      id: createOperator.id,
      index,
      currency,
      account: '',
      admin: { role: Role.OPERATOR_ADMIN, sub: `simday-operator-admin-${index + 1}`, operatorId: createOperator.id },
      stationId: createStation.id,
      pricePerKwh: Number(prices.perKwh),
      hold: prices.hold,
      sessionFee: prices.sessionFee,
      feePolicy,
      connectors: new Pool(createStation.connectors.map((c) => ({ stationId: createStation.id, connectorId: c.id }))),
    });
  }
  // Onboarding as dev/seed.ts does it: the link opened, then the account.updated webhook enables charges.
  const seedCall = graphqlCaller(gatewayUrl, adminToken);
  const ids = operators.map((o) => o.id);
  await onboardOperators(seedCall, ids);
  await waitUntilPayable(seedCall, ids, 30_000);
  const accounts = new Map<string, string>();
  for await (const account of stripe.accounts.list({ limit: 100 })) {
    if (account.metadata?.operatorId) accounts.set(account.metadata.operatorId, account.id);
  }
  for (const operator of operators) {
    const account = accounts.get(operator.id);
    if (!account) throw new Error(`operator ${operator.id} has no connected account at the provider`);
    operator.account = account;
  }
  return operators;
}

/** The emulator's test cards the day uses, by what they do. */
export type Card =
  | 'pm_card_visa'
  | 'pm_card_mastercard'
  | 'pm_card_chargeDeclined'
  | 'pm_card_chargeDeclinedInsufficientFunds'
  | 'pm_card_authenticationRequired'
  | 'pm_card_incrementDeclined'
  | 'pm_card_refundFail'
  | 'pm_card_pendingRefund'
  | 'pm_card_createDispute';

export interface SimDriver {
  claims: TokenClaims;
  card: Card;
  /** Our id of the saved card (the driver saves it before the first session); the same card at every operator. */
  savedCardId?: string;
}

/** Drivers grouped by the card they carry: `everyday` with a Visa (half as many with a Mastercard), `special` with each test card. */
export function createDrivers(everyday: number, special: number): Map<Card, Pool<SimDriver>> {
  const pools = new Map<Card, Pool<SimDriver>>();
  let n = 0;
  const group = (card: Card, size: number) =>
    pools.set(
      card,
      new Pool<SimDriver>(
        Array.from({ length: size }, () => ({ claims: { role: Role.DRIVER, sub: `simday-driver-${++n}` }, card })),
      ),
    );
  group('pm_card_visa', everyday);
  group('pm_card_mastercard', Math.ceil(everyday / 2));
  for (const card of [
    'pm_card_chargeDeclined',
    'pm_card_chargeDeclinedInsufficientFunds',
    'pm_card_authenticationRequired',
    'pm_card_incrementDeclined',
    'pm_card_refundFail',
    'pm_card_pendingRefund',
    'pm_card_createDispute',
  ] as const)
    group(card, special);
  return pools;
}

export { CONNECTOR_POWER_KW };
