import { ApiError, invalidRequest, unexpectedState, unsupportedByEmulator } from '../core/errors.js';
import { cloneJson, isJsonObject, type JsonObject } from '../core/json.js';
import { formatAmount } from '../core/money.js';
import type { ParamReader } from '../core/params.js';
import type { ApiContext, RouteDefinition } from '../http/router.js';
import type { ChargeObject, PaymentIntentObject } from '../state/objects.js';
import { captureCharge } from './charges.js';
import { disputeIfTestCard } from './disputes.js';
import { findCharge, findPaymentIntent } from './lookups.js';
import { checkApplicationFee } from './payment-intent-rules.js';
import { cardOutcomeOf } from './payment-methods.js';

/** The authorized, uncaptured charge of an intent on hold (status requires_capture). */
function heldCharge(ctx: ApiContext, intent: PaymentIntentObject, action: string): ChargeObject {
  if (intent.status !== 'requires_capture' || intent.latest_charge === null) {
    throw unexpectedState(
      `This PaymentIntent could not be ${action} because it has a status of ${intent.status}. Only a PaymentIntent with one of the following statuses may be ${action}: requires_capture.`,
    );
  }
  return findCharge(ctx.account, intent.latest_charge, 'charge');
}

function applyDescriptors(intent: PaymentIntentObject, params: ParamReader): void {
  intent.statement_descriptor = params.string('statement_descriptor') ?? intent.statement_descriptor;
  intent.statement_descriptor_suffix =
    params.string('statement_descriptor_suffix') ?? intent.statement_descriptor_suffix;
  intent.metadata = params.metadata(intent.metadata);
}

/** Captures all or part (`amount_to_capture`) of a hold; `application_fee_amount` may be set now. */
function capturePaymentIntent(ctx: ApiContext): JsonObject {
  const { params, account } = ctx;
  const intent = findPaymentIntent(account, ctx.pathParams.intent, 'intent');
  if (params.has('transfer_data')) throw unsupportedByEmulator('transfer_data');
  if (params.boolean('final_capture') === false) throw unsupportedByEmulator('final_capture');
  const requested = params.integer('amount_to_capture', { min: 1 });
  const applicationFee = params.integer('application_fee_amount', { min: 0 });
  const charge = heldCharge(ctx, intent, 'captured');
  const amount = requested ?? intent.amount_capturable;
  if (amount > intent.amount_capturable) {
    throw invalidRequest(
      `The amount to capture (${formatAmount(amount, intent.currency)}) cannot be greater than the amount capturable (${formatAmount(intent.amount_capturable, intent.currency)}).`,
      { code: 'amount_too_large', param: 'amount_to_capture' },
    );
  }
  const fee = applicationFee ?? intent.application_fee_amount ?? 0;
  checkApplicationFee(account, fee, amount);
  applyDescriptors(intent, params);
  captureCharge(ctx, charge, amount, fee);
  intent.status = 'succeeded';
  intent.amount_received = amount;
  intent.amount_capturable = 0;
  if (applicationFee !== undefined) intent.application_fee_amount = applicationFee;
  ctx.events.emit(account, 'charge.captured', charge);
  ctx.events.emit(account, 'payment_intent.succeeded', intent);
  disputeIfTestCard(account, charge, ctx.events);
  return intent;
}

/** Raises the held amount; only for intents created with `request_incremental_authorization=if_available`. */
function incrementAuthorization(ctx: ApiContext): JsonObject {
  const { params, account } = ctx;
  const intent = findPaymentIntent(account, ctx.pathParams.intent, 'intent');
  if (params.has('transfer_data')) throw unsupportedByEmulator('transfer_data');
  const amount = params.requiredInteger('amount', { min: 1 });
  const applicationFee = params.integer('application_fee_amount', { min: 0 });
  const charge = heldCharge(ctx, intent, 'incremented');
  const card = intent.payment_method_options.card;
  if (!isJsonObject(card) || card.request_incremental_authorization !== 'if_available') {
    throw invalidRequest(
      'This PaymentIntent was not created with `payment_method_options[card][request_incremental_authorization]=if_available`, so its authorization cannot be incremented.',
    );
  }
  const details = charge.payment_method_details.card;
  const availability = isJsonObject(details.incremental_authorization)
    ? details.incremental_authorization.status
    : null;
  if (availability !== 'available') {
    throw invalidRequest(
      'This PaymentIntent is not eligible for incremental authorization: the charge reports `payment_method_details.card.incremental_authorization.status` unavailable.',
      { code: 'incremental_authorization_unavailable' },
    );
  }
  if (amount <= intent.amount) {
    throw invalidRequest(
      `The new amount must be greater than the current amount (${formatAmount(intent.amount, intent.currency)}).`,
      {
        param: 'amount',
      },
    );
  }
  checkApplicationFee(account, applicationFee, amount);
  const method = intent.payment_method === null ? undefined : account.paymentMethods.get(intent.payment_method);
  if (method && cardOutcomeOf(account, method) === 'decline_increments') {
    // Stripe: a declined increment is a card_declined error; nothing on the PaymentIntent or Charge changes.
    throw new ApiError(402, {
      type: 'card_error',
      code: 'card_declined',
      decline_code: 'insufficient_funds',
      message: 'Your card has insufficient funds.',
      charge: charge.id,
      payment_intent: cloneJson(intent),
    });
  }
  intent.amount = amount;
  intent.amount_capturable = amount;
  if (applicationFee !== undefined) intent.application_fee_amount = applicationFee;
  const description = params.string('description');
  if (description !== undefined) intent.description = description;
  applyDescriptors(intent, params);
  charge.amount = amount;
  charge.payment_method_details.card.amount_authorized = amount;
  ctx.events.emit(account, 'payment_intent.amount_capturable_updated', intent);
  return intent;
}

export const captureRoutes: RouteDefinition[] = [
  { method: 'POST', path: '/v1/payment_intents/{intent}/capture', handler: capturePaymentIntent },
  { method: 'POST', path: '/v1/payment_intents/{intent}/increment_authorization', handler: incrementAuthorization },
];
