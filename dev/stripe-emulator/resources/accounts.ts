import { invalidParam, invalidRequest, platformOnly, resourceMissing } from '../core/errors.js';
import { newId, nowSeconds } from '../core/ids.js';
import { cloneJson, previousAttributes, type JsonObject } from '../core/json.js';
import { paginate } from '../core/list.js';
import { defaultCurrencyFor } from '../core/money.js';
import type { ParamReader } from '../core/params.js';
import type { EventSink } from '../events/events.js';
import type { ApiContext, RouteDefinition } from '../http/router.js';
import type { AccountObject, AccountType, CapabilityStatus, Requirements } from '../state/objects.js';
import type { AccountState, EmulatorState } from '../state/store.js';

export const PLATFORM_ACCOUNT_ID = 'acct_platform';

/** What a fresh connected account still has to provide (Stripe's list for a new Express account). */
const ONBOARDING_REQUIREMENTS = [
  'business_profile.mcc',
  'business_profile.url',
  'business_type',
  'external_account',
  'representative.first_name',
  'representative.last_name',
  'tos_acceptance.date',
  'tos_acceptance.ip',
];
const BUSINESS_TYPES = ['company', 'government_entity', 'individual', 'non_profit'] as const;
const ACCOUNT_TYPES = ['custom', 'express', 'standard'] as const;
const DASHBOARD_TYPES: Record<AccountType, string> = { standard: 'full', express: 'express', custom: 'none' };

function requirements(due: readonly string[]): Requirements {
  return {
    alternatives: [],
    current_deadline: null,
    currently_due: [...due],
    disabled_reason: due.length > 0 ? 'requirements.past_due' : null,
    errors: [],
    eventually_due: [...due],
    past_due: [],
    pending_verification: [],
  };
}

function emptyBusinessProfile(): JsonObject {
  return {
    mcc: null,
    name: null,
    product_description: null,
    support_address: null,
    support_email: null,
    support_phone: null,
    support_url: null,
    url: null,
  };
}

function baseAccount(id: string, type: AccountType, country: string): AccountObject {
  return {
    id,
    object: 'account',
    business_profile: emptyBusinessProfile(),
    business_type: null,
    capabilities: {},
    charges_enabled: false,
    controller: { type: 'account' },
    country,
    created: nowSeconds(),
    default_currency: defaultCurrencyFor(country),
    details_submitted: false,
    email: null,
    external_accounts: { object: 'list', data: [], has_more: false, url: `/v1/accounts/${id}/external_accounts` },
    future_requirements: requirements([]),
    metadata: {},
    payouts_enabled: false,
    requirements: requirements(ONBOARDING_REQUIREMENTS),
    settings: {
      branding: { icon: null, logo: null, primary_color: null, secondary_color: null },
      card_payments: {
        decline_on: { avs_failure: false, cvc_failure: false },
        statement_descriptor_prefix: null,
        statement_descriptor_prefix_kana: null,
        statement_descriptor_prefix_kanji: null,
      },
      dashboard: { display_name: null, timezone: 'Etc/UTC' },
      payments: { statement_descriptor: null },
      payouts: {
        debit_negative_balances: true,
        schedule: { delay_days: 2, interval: 'daily' },
        statement_descriptor: null,
      },
    },
    tos_acceptance: { date: null, ip: null, user_agent: null },
    type,
  };
}

/** The platform: fully enabled, US, owns the API key every request authenticates with. */
export function createPlatformAccount(): AccountObject {
  const account = baseAccount(PLATFORM_ACCOUNT_ID, 'standard', 'US');
  account.business_profile.name = 'Emulated platform';
  account.capabilities = { card_payments: 'active', transfers: 'active' };
  account.charges_enabled = true;
  account.payouts_enabled = true;
  account.details_submitted = true;
  account.requirements = requirements([]);
  return account;
}

function typeFromController(controller: ParamReader | undefined): AccountType | undefined {
  if (!controller) return undefined;
  const dashboard = controller.child('stripe_dashboard')?.enumValue('type', ['express', 'full', 'none'] as const);
  if (dashboard === 'express') return 'express';
  if (dashboard === 'none') return 'custom';
  return 'standard';
}

/** `capabilities[card_payments][requested]=true` → status; an onboarded account gets them active at once. */
function applyCapabilities(account: AccountObject, params: ParamReader): void {
  const capabilities = params.child('capabilities');
  if (!capabilities) return;
  for (const name of Object.keys(capabilities.values)) {
    const requested = capabilities.child(name)?.boolean('requested');
    if (requested === true) {
      const status: CapabilityStatus = account.details_submitted ? 'active' : 'inactive';
      account.capabilities[name] = account.capabilities[name] === 'active' ? 'active' : status;
    } else if (requested === false) {
      delete account.capabilities[name];
    }
  }
}

/** Fields shared by create and update. Identity data (company, individual, documents…) is accepted but not kept. */
function applyProfile(account: AccountObject, params: ParamReader): void {
  const email = params.nullableString('email');
  if (email !== undefined) account.email = email;
  const businessType = params.enumValue('business_type', BUSINESS_TYPES);
  if (businessType !== undefined) account.business_type = businessType;
  const currency = params.string('default_currency');
  if (currency !== undefined) account.default_currency = currency.toLowerCase();
  const profile = params.hash('business_profile');
  if (profile) account.business_profile = { ...account.business_profile, ...profile };
  const tos = params.child('tos_acceptance');
  if (tos) {
    account.tos_acceptance = {
      date: tos.integer('date') ?? account.tos_acceptance.date,
      ip: tos.string('ip') ?? account.tos_acceptance.ip,
      user_agent: tos.string('user_agent') ?? account.tos_acceptance.user_agent,
    };
  }
  account.metadata = params.metadata(account.metadata);
  applyCapabilities(account, params);
}

function createAccount(ctx: ApiContext): JsonObject {
  if (!ctx.account.isPlatform) throw platformOnly();
  const { params } = ctx;
  const type = params.enumValue('type', ACCOUNT_TYPES) ?? typeFromController(params.child('controller'));
  if (type === undefined)
    throw invalidParam('type', 'You must provide either `type` or `controller`.', 'parameter_missing');
  const country = (params.string('country') ?? ctx.state.platform.account.country).toUpperCase();
  if (!/^[A-Z]{2}$/.test(country)) throw invalidParam('country', `Invalid country: ${country}`);
  const account = baseAccount(newId('acct', 16), type, country);
  account.controller = {
    type: 'application',
    is_controller: true,
    stripe_dashboard: { type: DASHBOARD_TYPES[type] },
    requirement_collection: type === 'custom' ? 'application' : 'stripe',
  };
  if (!params.has('capabilities')) account.capabilities = { card_payments: 'inactive', transfers: 'inactive' };
  applyProfile(account, params);
  return ctx.state.addConnected(account).account;
}

/** The account an `{account}` path names, if the acting account may see it. */
function targetAccount(ctx: ApiContext): AccountState {
  const id = ctx.pathParams.account;
  const target = ctx.state.find(id);
  if (!target) throw resourceMissing('account', id, 'account');
  if (!ctx.account.isPlatform && target !== ctx.account) throw platformOnly();
  return target;
}

function updateAccount(ctx: ApiContext): JsonObject {
  const target = targetAccount(ctx);
  const before = cloneJson(target.account);
  applyProfile(target.account, ctx.params);
  const previous = previousAttributes(before, target.account);
  if (previous) ctx.events.emit(target, 'account.updated', target.account, previous);
  return target.account;
}

function deleteAccount(ctx: ApiContext): JsonObject {
  if (!ctx.account.isPlatform) throw platformOnly();
  const target = targetAccount(ctx);
  if (target.isPlatform) throw invalidRequest('The platform account cannot be deleted through the emulator.');
  ctx.state.removeConnected(target.id);
  return { id: target.id, object: 'account', deleted: true };
}

function listAccounts(ctx: ApiContext): JsonObject {
  if (!ctx.account.isPlatform) throw platformOnly();
  const accounts = ctx.state.connectedNewestFirst().map((state) => state.account);
  return paginate(accounts, ctx.params, '/v1/accounts', (account) => account);
}

/**
 * What finishing Stripe-hosted onboarding does: details submitted, charges and payouts enabled,
 * requested capabilities active, nothing due. Emits `account.updated` when anything changed.
 */
export function completeOnboarding(target: AccountState, events: EventSink): void {
  const account = target.account;
  const before = cloneJson(account);
  account.details_submitted = true;
  account.charges_enabled = true;
  account.payouts_enabled = true;
  for (const name of Object.keys(account.capabilities)) account.capabilities[name] = 'active';
  account.requirements = requirements([]);
  account.future_requirements = requirements([]);
  account.tos_acceptance = {
    date: account.tos_acceptance.date ?? nowSeconds(),
    ip: account.tos_acceptance.ip ?? '127.0.0.1',
    user_agent: account.tos_acceptance.user_agent,
  };
  const previous = previousAttributes(before, account);
  if (previous) events.emit(target, 'account.updated', account, previous);
}

export function findConnectedAccount(state: EmulatorState, id: string): AccountState | undefined {
  const found = state.find(id);
  return found && !found.isPlatform ? found : undefined;
}

export const accountRoutes: RouteDefinition[] = [
  { method: 'POST', path: '/v1/accounts', handler: createAccount },
  { method: 'GET', path: '/v1/accounts', handler: listAccounts },
  { method: 'GET', path: '/v1/accounts/{account}', handler: (ctx) => targetAccount(ctx).account },
  { method: 'POST', path: '/v1/accounts/{account}', handler: updateAccount },
  { method: 'DELETE', path: '/v1/accounts/{account}', handler: deleteAccount },
];
