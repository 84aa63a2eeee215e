import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError } from '../core/errors.js';
import { nowSeconds } from '../core/ids.js';
import { isJsonObject, type JsonObject } from '../core/json.js';
import { ParamReader } from '../core/params.js';
import type { Emulator } from '../emulator.js';
import type { EventCollector } from '../events/events.js';
import { htmlPage, send } from '../http/respond.js';
import type { ApiContext } from '../http/router.js';
import type { AccountState } from '../state/store.js';
import { ONBOARDING_PATH_PREFIX } from './account-links.js';
import { completeOnboarding, findConnectedAccount } from './accounts.js';
import { completeAuthentication } from './payment-intent-confirm.js';
import { closeDispute } from './disputes.js';
import { settleRefund } from './refund-settlement.js';

/**
 * Emulator-only endpoints (not Stripe's API, no API key needed):
 *   GET  /_emulator/health
 *   GET  /_emulator/connect/onboarding/{token}                 the page an account link points at
 *   POST /_emulator/accounts/{account}/onboard                  finish onboarding without a browser
 *   GET  /_emulator/payment_intents/{intent}/authenticate       the 3-D Secure step (?account=…&outcome=fail)
 *   POST /_emulator/accounts/{account}/refunds/{refund}/settle  the later outcome of a refund test card
 *   POST /_emulator/accounts/{account}/disputes/{dispute}/close?outcome=won|lost  the card network's decision
 */
interface Page {
  status: number;
  html?: string;
  json?: unknown;
}

const HTML_TYPE = 'text/html; charset=utf-8';

function notFound(what: string): Page {
  return { status: 404, html: htmlPage('Not found', what) };
}

function onboardingPage(emulator: Emulator, token: string, events: EventCollector): Page {
  const link = emulator.state.accountLinks.get(token);
  const account = link && findConnectedAccount(emulator.state, link.account);
  if (!link || !account) return notFound('This onboarding link is unknown.');
  if (link.expiresAt < nowSeconds()) {
    const next = link.refreshUrl ? { url: link.refreshUrl, label: 'Get a new link' } : undefined;
    return { status: 410, html: htmlPage('Link expired', `The onboarding link for ${account.id} has expired.`, next) };
  }
  completeOnboarding(account, events);
  const next = link.returnUrl ? { url: link.returnUrl, label: 'Return to the platform' } : undefined;
  return {
    status: 200,
    html: htmlPage('Onboarding complete', `${account.id} can now accept charges and receive payouts.`, next),
  };
}

function onboardAccount(emulator: Emulator, accountId: string, events: EventCollector): Page {
  const account = findConnectedAccount(emulator.state, accountId);
  if (!account)
    return {
      status: 404,
      json: { error: { type: 'invalid_request_error', message: `No such connected account: '${accountId}'` } },
    };
  completeOnboarding(account, events);
  return { status: 200, json: account.account };
}

/** Where a `redirect_to_url` next action sends the customer back to. */
function redirectReturnUrl(nextAction: JsonObject | null): string | undefined {
  const redirect = nextAction?.redirect_to_url;
  return isJsonObject(redirect) && typeof redirect.return_url === 'string' ? redirect.return_url : undefined;
}

function authenticatePage(emulator: Emulator, intentId: string, url: URL, events: EventCollector): Page {
  const accountId = url.searchParams.get('account');
  const account: AccountState | undefined =
    accountId === null ? emulator.state.platform : emulator.state.find(accountId);
  const intent = account?.paymentIntents.get(intentId);
  if (!account || !intent) return notFound(`No such PaymentIntent: ${intentId}`);
  const returnUrl = redirectReturnUrl(intent.next_action);
  const ctx: ApiContext = {
    state: emulator.state,
    account,
    params: new ParamReader({}),
    pathParams: {},
    events,
    baseUrl: emulator.baseUrl,
  };
  const succeeded = url.searchParams.get('outcome') !== 'fail';
  try {
    completeAuthentication(ctx, intent, succeeded);
  } catch (error) {
    if (error instanceof ApiError) return { status: 400, html: htmlPage('Authentication not possible', error.message) };
    throw error;
  }
  const target = returnUrl === undefined ? undefined : { url: returnUrl, label: 'Return to the merchant' };
  return {
    status: 200,
    html: htmlPage(
      succeeded ? 'Authentication complete' : 'Authentication failed',
      `PaymentIntent ${intent.id}: ${intent.status}`,
      target,
    ),
  };
}

function settleRefundPage(emulator: Emulator, accountId: string, refundId: string, events: EventCollector): Page {
  const account = emulator.state.find(accountId);
  const refund = account?.refunds.get(refundId);
  if (!account || !refund)
    return {
      status: 404,
      json: { error: { type: 'invalid_request_error', message: `No such refund: '${refundId}' on '${accountId}'` } },
    };
  try {
    return { status: 200, json: settleRefund(account, refund, events) };
  } catch (error) {
    if (error instanceof ApiError) return { status: error.status, json: error.toBody() };
    throw error;
  }
}

function closeDisputePage(
  emulator: Emulator,
  accountId: string,
  disputeId: string,
  url: URL,
  events: EventCollector,
): Page {
  const account = emulator.state.find(accountId);
  const dispute = account?.disputes.get(disputeId);
  if (!account || !dispute)
    return {
      status: 404,
      json: { error: { type: 'invalid_request_error', message: `No such dispute: '${disputeId}' on '${accountId}'` } },
    };
  const outcome = url.searchParams.get('outcome');
  if (outcome !== 'won' && outcome !== 'lost')
    return {
      status: 400,
      json: { error: { type: 'invalid_request_error', message: 'outcome must be won or lost', param: 'outcome' } },
    };
  try {
    return { status: 200, json: closeDispute(account, dispute, outcome, events) };
  } catch (error) {
    if (error instanceof ApiError) return { status: error.status, json: error.toBody() };
    throw error;
  }
}

function route(emulator: Emulator, method: string, url: URL, events: EventCollector): Page {
  const path = url.pathname;
  if (method === 'GET' && path === '/_emulator/health')
    return { status: 200, json: { status: 'ok', platform_account: emulator.state.platform.id } };
  if (method === 'GET' && path.startsWith(ONBOARDING_PATH_PREFIX))
    return onboardingPage(emulator, path.slice(ONBOARDING_PATH_PREFIX.length), events);
  const onboard = /^\/_emulator\/accounts\/([^/]+)\/onboard$/.exec(path);
  if (method === 'POST' && onboard) return onboardAccount(emulator, decodeURIComponent(onboard[1]), events);
  const settle = /^\/_emulator\/accounts\/([^/]+)\/refunds\/([^/]+)\/settle$/.exec(path);
  if (method === 'POST' && settle)
    return settleRefundPage(emulator, decodeURIComponent(settle[1]), decodeURIComponent(settle[2]), events);
  const close = /^\/_emulator\/accounts\/([^/]+)\/disputes\/([^/]+)\/close$/.exec(path);
  if (method === 'POST' && close)
    return closeDisputePage(emulator, decodeURIComponent(close[1]), decodeURIComponent(close[2]), url, events);
  const authenticate = /^\/_emulator\/payment_intents\/([^/]+)\/authenticate$/.exec(path);
  if (method === 'GET' && authenticate)
    return authenticatePage(emulator, decodeURIComponent(authenticate[1]), url, events);
  return notFound(`No emulator page at ${method} ${path}`);
}

export function handleEmulatorPage(emulator: Emulator, req: IncomingMessage, res: ServerResponse, url: URL): void {
  req.resume(); // bodies of these endpoints carry nothing the emulator needs
  const events = emulator.newEventCollector(null, null);
  const page = route(emulator, (req.method ?? 'GET').toUpperCase(), url, events);
  // Onboarding, 3-D Secure, refund settlement and dispute closing pages change accounts, intents and refunds (health and error pages change nothing).
  if (page.status === 200 && url.pathname !== '/_emulator/health') emulator.stateChanged();
  if (page.json !== undefined) send(res, page.status, 'application/json', JSON.stringify(page.json, null, 2));
  else send(res, page.status, HTML_TYPE, page.html ?? '');
  emulator.webhooks.enqueue(events.emitted);
}
