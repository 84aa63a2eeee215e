import { registerEnumType } from 'type-graphql';

export enum ReconciliationStatus {
  /** No run for this period yet: one was queued (read the field again shortly). */
  QUEUED = 'QUEUED',
  /** Every balance transaction matched a ledger entry and every ledger entry one at the provider. */
  BALANCED = 'BALANCED',
  /** At least one difference: see `differences`. */
  UNBALANCED = 'UNBALANCED',
  /** The provider could not be read (the next run tries again). */
  FAILED = 'FAILED',
}
registerEnumType(ReconciliationStatus, {
  name: 'ReconciliationStatus',
  description: "How the operator's ledger compares with the provider's balance transactions for a period.",
});

export enum ReconciliationDifferenceKind {
  /** We booked money the provider has no balance transaction for. */
  MISSING_AT_PROVIDER = 'MISSING_AT_PROVIDER',
  /** The provider moved money our ledger never booked. */
  MISSING_HERE = 'MISSING_HERE',
  /** Both sides have it, for different amounts (amount: provider − ours). */
  AMOUNT_DIFFERS = 'AMOUNT_DIFFERS',
  /** Both sides have it, with different fees (amount: provider's fee − ours). */
  FEE_DIFFERS = 'FEE_DIFFERS',
}
registerEnumType(ReconciliationDifferenceKind, {
  name: 'ReconciliationDifferenceKind',
  description: 'What differs between our ledger and the provider for one balance transaction.',
});
