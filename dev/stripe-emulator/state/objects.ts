/**
 * Shapes of the Stripe objects the emulator stores, following the official fixtures
 * (fixtures3.subset.json). All are plain JSON (type aliases, no optional fields) so that a stored
 * object can be cloned straight into a response or an event snapshot.
 */
import type { JsonObject } from '../core/json.js';

export type Metadata = Record<string, string>;

export type AddressObject = {
  city: string | null;
  country: string | null;
  line1: string | null;
  line2: string | null;
  postal_code: string | null;
  state: string | null;
};

export type BillingDetails = {
  address: AddressObject;
  email: string | null;
  name: string | null;
  phone: string | null;
  tax_id: string | null;
};

export type Requirements = {
  alternatives: JsonObject[];
  current_deadline: number | null;
  currently_due: string[];
  disabled_reason: string | null;
  errors: JsonObject[];
  eventually_due: string[];
  past_due: string[];
  pending_verification: string[];
};

export type CapabilityStatus = 'active' | 'inactive' | 'pending';
export type AccountType = 'custom' | 'express' | 'standard';

export type AccountObject = {
  id: string;
  object: 'account';
  business_profile: JsonObject;
  business_type: string | null;
  capabilities: Record<string, CapabilityStatus>;
  charges_enabled: boolean;
  controller: JsonObject;
  country: string;
  created: number;
  default_currency: string;
  details_submitted: boolean;
  email: string | null;
  external_accounts: { object: 'list'; data: JsonObject[]; has_more: boolean; url: string };
  future_requirements: Requirements;
  metadata: Metadata;
  payouts_enabled: boolean;
  requirements: Requirements;
  settings: JsonObject;
  tos_acceptance: { date: number | null; ip: string | null; user_agent: string | null };
  type: AccountType;
};

export type CustomerObject = {
  id: string;
  object: 'customer';
  address: JsonObject | null;
  balance: number;
  created: number;
  currency: string | null;
  default_source: string | null;
  delinquent: boolean;
  description: string | null;
  discount: null;
  email: string | null;
  invoice_prefix: string;
  invoice_settings: {
    custom_fields: null;
    default_payment_method: string | null;
    footer: null;
    rendering_options: null;
  };
  livemode: false;
  metadata: Metadata;
  name: string | null;
  next_invoice_sequence: number;
  phone: string | null;
  preferred_locales: string[];
  shipping: JsonObject | null;
  tax_exempt: 'exempt' | 'none' | 'reverse';
  test_clock: null;
};

export type CardDetails = {
  brand: string;
  checks: { address_line1_check: string | null; address_postal_code_check: string | null; cvc_check: string | null };
  country: string | null;
  display_brand: string;
  exp_month: number;
  exp_year: number;
  fingerprint: string;
  funding: string;
  generated_from: null;
  last4: string;
  networks: { available: string[]; preferred: string | null };
  three_d_secure_usage: { supported: boolean };
  wallet: null;
};

export type PaymentMethodObject = {
  id: string;
  object: 'payment_method';
  allow_redisplay: 'always' | 'limited' | 'unspecified';
  billing_details: BillingDetails;
  card: CardDetails;
  created: number;
  customer: string | null;
  livemode: false;
  metadata: Metadata;
  type: 'card';
};

export type PaymentIntentStatus =
  | 'requires_payment_method'
  | 'requires_confirmation'
  | 'requires_action'
  | 'processing'
  | 'requires_capture'
  | 'succeeded'
  | 'canceled';

export type PaymentIntentObject = {
  id: string;
  object: 'payment_intent';
  allowed_payment_method_types: string[] | null;
  amount: number;
  amount_capturable: number;
  amount_details: { tip: JsonObject };
  amount_received: number;
  application: string | null;
  application_fee_amount: number | null;
  automatic_payment_methods: { enabled: boolean; allow_redirects: 'always' | 'never' } | null;
  canceled_at: number | null;
  cancellation_reason: string | null;
  capture_method: 'automatic' | 'automatic_async' | 'manual';
  client_secret: string;
  confirmation_method: 'automatic' | 'manual';
  created: number;
  currency: string;
  customer: string | null;
  customer_account: null;
  description: string | null;
  excluded_payment_method_types: null;
  last_payment_error: JsonObject | null;
  latest_charge: string | null;
  livemode: false;
  metadata: Metadata;
  next_action: JsonObject | null;
  on_behalf_of: null;
  payment_method: string | null;
  payment_method_configuration_details: null;
  payment_method_options: JsonObject;
  payment_method_types: string[];
  processing: null;
  receipt_email: string | null;
  review: null;
  setup_future_usage: 'off_session' | 'on_session' | null;
  shipping: JsonObject | null;
  source: null;
  statement_descriptor: string | null;
  statement_descriptor_suffix: string | null;
  status: PaymentIntentStatus;
  transfer_data: null;
  transfer_group: string | null;
};

export type RefundObject = {
  id: string;
  object: 'refund';
  amount: number;
  balance_transaction: string | null;
  charge: string;
  created: number;
  currency: string;
  destination_details: JsonObject;
  metadata: Metadata;
  payment_intent: string | null;
  reason: string | null;
  receipt_number: null;
  source_transfer_reversal: null;
  status: 'pending' | 'succeeded' | 'failed';
  transfer_reversal: null;
  /** Only once the refund failed (Stripe omits them before). */
  failure_reason?: string;
  failure_balance_transaction?: string;
};

export type ChargeObject = {
  id: string;
  object: 'charge';
  amount: number;
  amount_captured: number;
  amount_refunded: number;
  application: string | null;
  application_fee: string | null;
  application_fee_amount: number | null;
  balance_transaction: string | null;
  billing_details: BillingDetails;
  calculated_statement_descriptor: string | null;
  captured: boolean;
  created: number;
  currency: string;
  customer: string | null;
  description: string | null;
  disputed: boolean;
  failure_balance_transaction: null;
  failure_code: string | null;
  failure_message: string | null;
  fraud_details: JsonObject;
  livemode: false;
  metadata: Metadata;
  on_behalf_of: null;
  outcome: JsonObject;
  paid: boolean;
  payment_intent: string | null;
  payment_method: string | null;
  payment_method_details: { card: JsonObject; type: 'card' };
  radar_options: JsonObject;
  receipt_email: string | null;
  receipt_number: null;
  receipt_url: string | null;
  refunded: boolean;
  refunds: { object: 'list'; data: RefundObject[]; has_more: boolean; url: string };
  review: null;
  shipping: JsonObject | null;
  source_transfer: null;
  statement_descriptor: string | null;
  statement_descriptor_suffix: string | null;
  status: 'failed' | 'pending' | 'succeeded';
  transfer_data: null;
  transfer_group: string | null;
};

export type FeeDetail = {
  amount: number;
  application: string | null;
  currency: string;
  description: string | null;
  type: string;
};

export type BalanceTransactionObject = {
  id: string;
  object: 'balance_transaction';
  amount: number;
  available_on: number;
  balance_type: 'payments';
  created: number;
  currency: string;
  description: string | null;
  exchange_rate: null;
  fee: number;
  fee_details: FeeDetail[];
  net: number;
  reporting_category: string;
  source: string | null;
  status: 'available' | 'pending';
  type: string;
};

export type FeeRefundObject = {
  id: string;
  object: 'fee_refund';
  amount: number;
  balance_transaction: string | null;
  created: number;
  currency: string;
  fee: string;
  metadata: Metadata;
};

export type ApplicationFeeObject = {
  id: string;
  object: 'application_fee';
  account: string;
  amount: number;
  amount_refunded: number;
  application: string;
  balance_transaction: string | null;
  charge: string;
  created: number;
  currency: string;
  fee_source: { charge: string; type: 'charge' };
  livemode: false;
  originating_transaction: null;
  refunded: boolean;
  refunds: { object: 'list'; data: FeeRefundObject[]; has_more: boolean; url: string };
};

export type DisputeStatus =
  | 'warning_needs_response'
  | 'warning_under_review'
  | 'warning_closed'
  | 'needs_response'
  | 'under_review'
  | 'won'
  | 'lost';

/** Every evidence field of the 2023-08-16 schema (`dispute_evidence`), all empty until evidence is given. */
export type DisputeEvidence = Record<string, string | null>;

export type DisputeObject = {
  id: string;
  object: 'dispute';
  amount: number;
  /** The withdrawal and, once won, the reinstatement, as full objects (Stripe embeds them). */
  balance_transactions: BalanceTransactionObject[];
  charge: string;
  created: number;
  currency: string;
  evidence: DisputeEvidence;
  evidence_details: { due_by: number | null; has_evidence: boolean; past_due: boolean; submission_count: number };
  is_charge_refundable: boolean;
  livemode: false;
  metadata: Metadata;
  payment_intent: string | null;
  payment_method_details: { card: { brand: string; network_reason_code: string | null }; type: 'card' };
  reason: string;
  status: DisputeStatus;
};

/** An Event as stored: `body` is the exact JSON returned by the API and sent to webhooks. */
export type EventRecord = { id: string; created: number; type: string; body: JsonObject };
