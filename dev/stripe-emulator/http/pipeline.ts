import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  ApiError,
  idempotencyEndpointMismatch,
  idempotencyKeyInUse,
  idempotencyParamsMismatch,
  internalError,
  invalidParam,
  unrecognizedUrl,
} from '../core/errors.js';
import { expandFields } from '../core/expand.js';
import { newId } from '../core/ids.js';
import { cloneJson, type JsonObject } from '../core/json.js';
import { ParamReader } from '../core/params.js';
import type { Emulator } from '../emulator.js';
import { EMULATED_API_VERSION, type EmittedEvent, type EventCollector } from '../events/events.js';
import { handleEmulatorPage } from '../resources/emulator-pages.js';
import { validateParams } from '../spec/validate.js';
import type { FaultKind } from '../state/faults.js';
import { paramsFingerprint, type IdempotencyClaim } from '../state/idempotency.js';
import type { AccountState } from '../state/store.js';
import { authenticate, resolveAccount } from './auth.js';
import { BodyTooLargeError, ClientGoneError, readBody } from './body.js';
import { decodeForm, FormDecodeError, type FormObject } from './form.js';
import { send } from './respond.js';
import type { ApiContext, RouteMatch } from './router.js';

const JSON_TYPE = 'application/json';

interface ApiRequest {
  req: IncomingMessage;
  res: ServerResponse;
  requestId: string;
  method: string;
  url: URL;
  stripeAccount: string | undefined;
  idempotencyKey: string | undefined;
  stripeVersion: string;
}

interface Outcome {
  status: number;
  body: string;
  headers: Record<string, string>;
  events: readonly EmittedEvent[];
}

const FAULT_ERRORS: Partial<Record<FaultKind, ApiError>> = {
  http500: new ApiError(500, {
    type: 'api_error',
    message: 'An unknown error occurred (fault injected by the Stripe emulator).',
  }),
  http429: new ApiError(429, {
    type: 'invalid_request_error',
    code: 'rate_limit',
    message:
      'Too many requests hit the API too quickly. We recommend an exponential backoff of your requests. (fault injected by the Stripe emulator)',
  }),
};

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return (Array.isArray(value) ? value[0] : value) || undefined;
}

function baseHeaders(request: ApiRequest): Record<string, string> {
  const headers: Record<string, string> = { 'Stripe-Version': request.stripeVersion };
  if (request.method === 'POST' && request.idempotencyKey !== undefined)
    headers['Idempotency-Key'] = request.idempotencyKey;
  return headers;
}

function errorOutcome(request: ApiRequest, error: ApiError): Outcome {
  return {
    status: error.status,
    body: JSON.stringify(error.toBody(), null, 2),
    headers: baseHeaders(request),
    events: [],
  };
}

function asApiError(error: unknown, log: (message: string) => void): ApiError {
  if (error instanceof ApiError) return error;
  log(`internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  return internalError();
}

/** Query parameters plus, for POST, the form-encoded body (Stripe's v1 API takes no JSON). */
async function readParams(request: ApiRequest): Promise<FormObject> {
  try {
    const query = decodeForm(request.url.search.slice(1));
    if (request.method !== 'POST') return query;
    const body = await readBody(request.req);
    if (body.trim().startsWith('{')) {
      throw invalidParam('body', 'Stripe API v1 requests must be application/x-www-form-urlencoded, not JSON.');
    }
    return { ...query, ...decodeForm(body) };
  } catch (error) {
    if (error instanceof FormDecodeError) throw invalidParam('body', error.message);
    if (error instanceof BodyTooLargeError) throw invalidParam('body', `Invalid request: ${error.message}.`);
    throw error;
  }
}

interface RunResult {
  status: number;
  body: JsonObject;
  /** false for validation errors and 5xx: Stripe saves no idempotent result when the endpoint did not run */
  saveable: boolean;
}

/** Validates and runs the endpoint. */
function run(
  emulator: Emulator,
  match: RouteMatch,
  account: AccountState,
  params: FormObject,
  events: EventCollector,
): RunResult {
  try {
    validateParams(match.route.contract, params);
    const reader = new ParamReader(params);
    const expand = reader.stringList('expand') ?? [];
    const ctx: ApiContext = {
      state: emulator.state,
      account,
      params: reader,
      pathParams: match.pathParams,
      events,
      baseUrl: emulator.baseUrl,
    };
    const body = cloneJson(match.route.handler(ctx));
    expandFields(body, expand, emulator.resolverFor(account));
    return { status: 200, body, saveable: true };
  } catch (error) {
    const apiError = asApiError(error, emulator.log);
    return {
      status: apiError.status,
      body: apiError.toBody(),
      saveable: apiError.phase === 'execution' && apiError.status < 500,
    };
  }
}

/**
 * Idempotency, parameters and execution. Returns undefined when the client left before its body
 * arrived (nothing ran, nothing to answer).
 */
async function execute(
  emulator: Emulator,
  request: ApiRequest,
  match: RouteMatch,
  account: AccountState,
): Promise<Outcome | undefined> {
  const { method, url, idempotencyKey: key } = request;
  const endpoint = `${method} ${url.pathname}`;
  const claimed =
    method === 'POST' && key !== undefined ? emulator.idempotency.claim(account.id, key, endpoint) : undefined;
  if (claimed?.kind === 'in_use' && key !== undefined) return errorOutcome(request, idempotencyKeyInUse(key));
  if (claimed?.kind === 'endpoint_mismatch' && key !== undefined) {
    return errorOutcome(request, idempotencyEndpointMismatch(key, claimed.originalEndpoint, endpoint));
  }
  const claim: IdempotencyClaim | undefined = claimed?.kind === 'claimed' ? claimed.claim : undefined;
  let params: FormObject;
  try {
    params = await readParams(request);
  } catch (error) {
    claim?.release();
    if (error instanceof ClientGoneError) return undefined;
    return errorOutcome(request, asApiError(error, emulator.log));
  }
  const fingerprint = paramsFingerprint(params);
  if (claimed?.kind === 'completed' && key !== undefined) {
    if (claimed.fingerprint !== fingerprint) return errorOutcome(request, idempotencyParamsMismatch(key));
    const headers = {
      ...baseHeaders(request),
      'Idempotent-Replayed': 'true',
      'Original-Request': claimed.response.requestId,
    };
    return { status: claimed.response.status, body: claimed.response.body, headers, events: [] };
  }
  const events = emulator.newEventCollector(request.requestId, key ?? null);
  // GET handlers change nothing except by adding objects (a `pm_card_visa` shortcut creates a method).
  const objectsBefore = method === 'GET' ? emulator.state.objectCount() : undefined;
  const result = run(emulator, match, account, params, events);
  const body = JSON.stringify(result.body, null, 2);
  if (claim && result.saveable) claim.save(fingerprint, { status: result.status, body, requestId: request.requestId });
  else claim?.release();
  if (objectsBefore === undefined || objectsBefore !== emulator.state.objectCount()) emulator.stateChanged();
  return { status: result.status, body, headers: baseHeaders(request), events: events.emitted };
}

async function handleApi(emulator: Emulator, request: ApiRequest): Promise<void> {
  const { req, res, method, url } = request;
  const respond = (outcome: Outcome): void => send(res, outcome.status, JSON_TYPE, outcome.body, outcome.headers);
  const match = emulator.router.match(method, url.pathname);
  let account: AccountState;
  try {
    if (!match) throw unrecognizedUrl(method, url.pathname);
    account = resolveAccount(emulator.state, authenticate(req), request.stripeAccount);
  } catch (error) {
    return respond(errorOutcome(request, asApiError(error, emulator.log)));
  }
  const fault = emulator.faults.take(method, url.pathname);
  const faultError = fault === undefined ? undefined : FAULT_ERRORS[fault];
  if (faultError) return respond(errorOutcome(request, faultError));
  // A `timeout` fault never answers and performs nothing; close() or the client ends the socket.
  if (fault === 'timeout') {
    req.resume();
    return;
  }
  const outcome = await execute(emulator, request, match, account);
  if (!outcome) return;
  // `lostResponse`: the operation ran (and its idempotent result is saved), but the answer never arrives.
  if (fault === 'lostResponse') req.socket.destroy();
  else respond(outcome);
  emulator.webhooks.enqueue(outcome.events);
}

/** Entry point for every HTTP request: `/_emulator/…` pages and the Stripe API under `/v1`. */
export async function handleRequest(emulator: Emulator, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const requestId = newId('req', 14);
  const method = (req.method ?? 'GET').toUpperCase();
  const url = new URL(req.url ?? '/', 'http://emulator.invalid');
  const stripeAccount = header(req, 'stripe-account');
  const idempotencyKey = header(req, 'idempotency-key');
  const entry = emulator.requestLog.start({
    method,
    path: url.pathname,
    ...(stripeAccount === undefined ? {} : { account: stripeAccount }),
    ...(idempotencyKey === undefined ? {} : { idempotencyKey }),
  });
  res.setHeader('Request-Id', requestId);
  res.on('close', () => {
    entry.status = res.headersSent ? res.statusCode : 0;
    emulator.log(
      `${method} ${url.pathname}${stripeAccount ? ` [${stripeAccount}]` : ''} → ${entry.status || 'no response'}`,
    );
  });
  try {
    if (url.pathname.startsWith('/_emulator/')) return handleEmulatorPage(emulator, req, res, url);
    const stripeVersion = header(req, 'stripe-version') ?? EMULATED_API_VERSION;
    await handleApi(emulator, { req, res, requestId, method, url, stripeAccount, idempotencyKey, stripeVersion });
  } catch (error) {
    emulator.log(`internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    if (!res.headersSent) send(res, 500, JSON_TYPE, JSON.stringify(internalError().toBody(), null, 2));
  }
}
