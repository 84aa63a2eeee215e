/**
 * Persistence of the emulator's state in one JSON file (option `dataFile`), so that a restarted dev stack
 * finds the accounts, customers, payment methods, intents… its database refers to.
 *
 * Format (`version: 1`), every list in creation order (oldest first), so that loading re-adds the objects
 * in the order they were created and lists stay newest-first:
 *
 *   { version: 1, savedAt, applicationId,
 *     platform: AccountSnapshot, connectedAccounts: AccountSnapshot[],
 *     accountLinks: [{ token, account, expiresAt, returnUrl, refreshUrl }],
 *     idempotency: [{ accountId, key, endpoint, fingerprint, response: { status, body, requestId } }] }
 *
 *   AccountSnapshot = { account, customers, paymentMethods, cardOutcomes: [[paymentMethodId, outcome]],
 *     paymentIntents, charges, refunds, balanceTransactions, applicationFees, disputes, events }
 *   (`disputes` came later in the same version: a file without it loads with none)
 *
 * Objects are stored exactly as the API returns them (events as `{ id, created, type, body }`). Only
 * completed idempotent results are kept; ids are random, so there are no counters to keep. Not kept:
 * the webhook delivery queue, armed faults and the request log.
 */
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PLATFORM_ACCOUNT_ID } from '../resources/accounts.js';
import type { CardOutcome } from '../resources/test-cards.js';
import { IdempotencyStore, type CompletedIdempotencyRecord } from './idempotency.js';
import type {
  AccountObject,
  ApplicationFeeObject,
  BalanceTransactionObject,
  ChargeObject,
  CustomerObject,
  DisputeObject,
  EventRecord,
  PaymentIntentObject,
  PaymentMethodObject,
  RefundObject,
} from './objects.js';
import { EmulatorState, type AccountLinkRecord, type AccountState } from './store.js';

export const STATE_FORMAT_VERSION = 1;
/** A change is written at most this long after it happened. */
export const SAVE_DELAY_MS = 200;

export interface AccountSnapshot {
  account: AccountObject;
  customers: CustomerObject[];
  paymentMethods: PaymentMethodObject[];
  cardOutcomes: Array<[paymentMethodId: string, outcome: CardOutcome]>;
  paymentIntents: PaymentIntentObject[];
  charges: ChargeObject[];
  refunds: RefundObject[];
  balanceTransactions: BalanceTransactionObject[];
  applicationFees: ApplicationFeeObject[];
  /** Absent in files written before disputes existed. */
  disputes?: DisputeObject[];
  events: EventRecord[];
}

export interface StateSnapshot {
  version: typeof STATE_FORMAT_VERSION;
  savedAt: string;
  applicationId: string;
  platform: AccountSnapshot;
  connectedAccounts: AccountSnapshot[];
  accountLinks: Array<{ token: string } & AccountLinkRecord>;
  idempotency: CompletedIdempotencyRecord[];
}

export interface LoadedState {
  state: EmulatorState;
  idempotency: IdempotencyStore;
}

function snapshotAccount(account: AccountState): AccountSnapshot {
  return {
    account: account.account,
    customers: account.customers.all(),
    paymentMethods: account.paymentMethods.all(),
    cardOutcomes: [...account.cardOutcomes],
    paymentIntents: account.paymentIntents.all(),
    charges: account.charges.all(),
    refunds: account.refunds.all(),
    balanceTransactions: account.balanceTransactions.all(),
    applicationFees: account.applicationFees.all(),
    disputes: account.disputes.all(),
    events: account.events.all(),
  };
}

/** The whole state as a plain object; it shares the live objects, so serialize it right away. */
export function snapshotState(state: EmulatorState, idempotency: IdempotencyStore): StateSnapshot {
  return {
    version: STATE_FORMAT_VERSION,
    savedAt: new Date().toISOString(),
    applicationId: state.applicationId,
    platform: snapshotAccount(state.platform),
    connectedAccounts: state.connectedOldestFirst().map(snapshotAccount),
    accountLinks: [...state.accountLinks].map(([token, link]) => ({ token, ...link })),
    idempotency: idempotency.completed(),
  };
}

// ---- loading: every shape is checked before anything is used, so a damaged file never half-loads ----

export class StateFileError extends Error {}

type Shape = Record<string, unknown>;

function fail(where: string, problem: string): never {
  throw new StateFileError(`${where}: ${problem}`);
}

function object(value: unknown, where: string): Shape {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) fail(where, 'expected an object');
  return value as Shape;
}

function array(value: unknown, where: string): unknown[] {
  if (!Array.isArray(value)) fail(where, 'expected an array');
  return value;
}

function string(value: unknown, where: string): string {
  if (typeof value !== 'string') fail(where, 'expected a string');
  return value;
}

function integer(value: unknown, where: string): number {
  if (!Number.isSafeInteger(value)) fail(where, 'expected an integer');
  return value as number;
}

function nullableString(value: unknown, where: string): string | null {
  return value === null ? null : string(value, where);
}

/** A stored Stripe object: a JSON object with a string `id` and the expected `object` type. */
function stripeObject<T>(value: unknown, where: string, type: string): T {
  const found = object(value, where);
  string(found.id, `${where}.id`);
  if (found.object !== type) fail(`${where}.object`, `expected '${type}'`);
  return found as T;
}

function stripeObjects<T>(value: unknown, where: string, type: string): T[] {
  return array(value, where).map((item, index) => stripeObject<T>(item, `${where}[${index}]`, type));
}

const CARD_OUTCOMES: Record<CardOutcome, true> = {
  approve: true,
  decline_generic: true,
  decline_insufficient_funds: true,
  require_authentication: true,
  decline_increments: true,
  refund_pending: true,
  refund_fails: true,
  dispute_fraudulent: true,
};

function isCardOutcome(value: unknown): value is CardOutcome {
  return typeof value === 'string' && Object.hasOwn(CARD_OUTCOMES, value);
}

function events(value: unknown, where: string): EventRecord[] {
  return array(value, where).map((item, index) => {
    const at = `${where}[${index}]`;
    const event = object(item, at);
    const body = object(event.body, `${at}.body`);
    const record: EventRecord = {
      id: string(event.id, `${at}.id`),
      created: integer(event.created, `${at}.created`),
      type: string(event.type, `${at}.type`),
      body: body as EventRecord['body'],
    };
    return record;
  });
}

function restoreAccount(target: AccountState, value: unknown, where: string): void {
  const snapshot = object(value, where);
  const list = <T>(name: string, type: string): T[] => stripeObjects<T>(snapshot[name], `${where}.${name}`, type);
  for (const item of list<CustomerObject>('customers', 'customer')) target.customers.add(item);
  for (const item of list<PaymentMethodObject>('paymentMethods', 'payment_method')) target.paymentMethods.add(item);
  for (const item of list<PaymentIntentObject>('paymentIntents', 'payment_intent')) target.paymentIntents.add(item);
  for (const item of list<ChargeObject>('charges', 'charge')) target.charges.add(item);
  for (const item of list<RefundObject>('refunds', 'refund')) target.refunds.add(item);
  for (const item of list<BalanceTransactionObject>('balanceTransactions', 'balance_transaction'))
    target.balanceTransactions.add(item);
  for (const item of list<ApplicationFeeObject>('applicationFees', 'application_fee')) target.applicationFees.add(item);
  // Added to version 1 later: older files have no disputes.
  if (snapshot.disputes !== undefined)
    for (const item of list<DisputeObject>('disputes', 'dispute')) target.disputes.add(item);
  for (const event of events(snapshot.events, `${where}.events`)) target.events.add(event);
  array(snapshot.cardOutcomes, `${where}.cardOutcomes`).forEach((entry, index) => {
    const at = `${where}.cardOutcomes[${index}]`;
    const [id, outcome] = array(entry, at);
    if (!isCardOutcome(outcome)) fail(`${at}[1]`, `unknown card outcome ${JSON.stringify(outcome)}`);
    target.cardOutcomes.set(string(id, `${at}[0]`), outcome);
  });
  // A charge lists its refunds by reference to the stored Refund objects (updates show in both places);
  // JSON has copies, so point the charge back at the stored ones.
  for (const charge of target.charges.all()) {
    const refunds = object(charge.refunds, `${where}.charges[${charge.id}].refunds`);
    const data = stripeObjects<RefundObject>(refunds.data, `${where}.charges[${charge.id}].refunds.data`, 'refund');
    charge.refunds.data = data.map((refund) => target.refunds.get(refund.id) ?? refund);
  }
}

function accountObject(snapshot: unknown, where: string): AccountObject {
  return stripeObject<AccountObject>(object(snapshot, where).account, `${where}.account`, 'account');
}

function restoreLink(value: unknown, where: string): [string, AccountLinkRecord] {
  const link = object(value, where);
  return [
    string(link.token, `${where}.token`),
    {
      account: string(link.account, `${where}.account`),
      expiresAt: integer(link.expiresAt, `${where}.expiresAt`),
      returnUrl: nullableString(link.returnUrl, `${where}.returnUrl`),
      refreshUrl: nullableString(link.refreshUrl, `${where}.refreshUrl`),
    },
  ];
}

function idempotencyRecord(value: unknown, where: string): CompletedIdempotencyRecord {
  const record = object(value, where);
  const response = object(record.response, `${where}.response`);
  return {
    accountId: string(record.accountId, `${where}.accountId`),
    key: string(record.key, `${where}.key`),
    endpoint: string(record.endpoint, `${where}.endpoint`),
    fingerprint: string(record.fingerprint, `${where}.fingerprint`),
    response: {
      status: integer(response.status, `${where}.response.status`),
      body: string(response.body, `${where}.response.body`),
      requestId: string(response.requestId, `${where}.response.requestId`),
    },
  };
}

/** Rebuilds the state from a parsed file; throws StateFileError when it is not a version-1 snapshot. */
export function restoreState(parsed: unknown): LoadedState {
  const snapshot = object(parsed, 'file');
  if (snapshot.version !== STATE_FORMAT_VERSION) {
    fail(
      'version',
      `found ${JSON.stringify(snapshot.version ?? null)}, this emulator reads version ${STATE_FORMAT_VERSION}`,
    );
  }
  const platformAccount = accountObject(snapshot.platform, 'platform');
  if (platformAccount.id !== PLATFORM_ACCOUNT_ID) fail('platform.account.id', `expected '${PLATFORM_ACCOUNT_ID}'`);
  const state = new EmulatorState(platformAccount, string(snapshot.applicationId, 'applicationId'));
  restoreAccount(state.platform, snapshot.platform, 'platform');
  array(snapshot.connectedAccounts, 'connectedAccounts').forEach((value, index) => {
    const where = `connectedAccounts[${index}]`;
    const account = accountObject(value, where);
    if (state.find(account.id)) fail(`${where}.account.id`, `duplicate account ${account.id}`);
    restoreAccount(state.addConnected(account), value, where);
  });
  array(snapshot.accountLinks, 'accountLinks').forEach((value, index) => {
    const [token, link] = restoreLink(value, `accountLinks[${index}]`);
    state.accountLinks.set(token, link);
  });
  const idempotency = new IdempotencyStore();
  array(snapshot.idempotency, 'idempotency').forEach((value, index) => {
    idempotency.restore(idempotencyRecord(value, `idempotency[${index}]`));
  });
  return { state, idempotency };
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * The state file: loaded once at start, saved (debounced) after changes and on close, removed by reset.
 * Writes are synchronous and atomic (temporary file in the same folder, then rename), so a save never
 * interleaves with requests or with reset() and a crash leaves either the old or the new file.
 */
export class StateFile {
  private timer: NodeJS.Timeout | undefined;
  private dirty = false;
  private readonly tempPath: string;

  constructor(
    readonly path: string,
    private readonly snapshot: () => StateSnapshot,
    private readonly warn: (message: string) => void,
    private readonly log: (message: string) => void,
  ) {
    this.tempPath = `${path}.${process.pid}.tmp`;
  }

  /**
   * The saved state, or undefined when there is none or it cannot be used. An unusable file is
   * never fatal: a warning says why, the file is kept next to the original as `<file>.invalid`, and
   * the emulator starts empty.
   */
  load(): LoadedState | undefined {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        this.log(`no saved state at ${this.path}; starting empty`);
        return undefined;
      }
      this.warn(
        `WARNING: cannot read the saved state ${this.path} (${errorMessage(error)}); starting with an empty state.`,
      );
      return undefined;
    }
    try {
      const loaded = restoreState(JSON.parse(text));
      const { state } = loaded;
      this.log(
        `restored state from ${this.path}: ${state.connectedOldestFirst().length} connected accounts, ${state.objectCount()} objects`,
      );
      return loaded;
    } catch (error) {
      // JSON syntax, a StateFileError naming the bad field, or anything else a damaged file provokes
      const kept = this.keepInvalidFile();
      const aside = kept === undefined ? '' : ` The file was moved to ${kept}.`;
      this.warn(
        `WARNING: the saved state ${this.path} is unusable (${errorMessage(error)}); starting with an empty state.${aside}`,
      );
      return undefined;
    }
  }

  /** Notes a change; it is written within SAVE_DELAY_MS (one write for a burst of changes). */
  changed(): void {
    this.dirty = true;
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      this.flush();
    }, SAVE_DELAY_MS);
  }

  /** Writes unsaved changes now (close()). */
  flush(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.dirty) return;
    this.dirty = false;
    try {
      mkdirSync(path.dirname(this.path), { recursive: true });
      writeFileSync(this.tempPath, JSON.stringify(this.snapshot()));
      renameSync(this.tempPath, this.path);
    } catch (error) {
      this.dirty = true; // retried with the next change or on close()
      try {
        rmSync(this.tempPath, { force: true });
      } catch {
        // nothing more to do: the warning below names the real problem
      }
      this.warn(`WARNING: could not save the emulator state to ${this.path}: ${errorMessage(error)}`);
    }
  }

  /** Forgets unsaved changes and removes the file (reset()). */
  clear(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.dirty = false;
    try {
      rmSync(this.path, { force: true });
    } catch (error) {
      this.warn(`WARNING: could not remove the saved state ${this.path}: ${errorMessage(error)}`);
    }
  }

  private keepInvalidFile(): string | undefined {
    const target = `${this.path}.invalid`;
    try {
      renameSync(this.path, target);
      return target;
    } catch {
      return undefined;
    }
  }
}
