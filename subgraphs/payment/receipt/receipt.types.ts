import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { Money } from '../../../platform/money.js';
import { ReceiptLineKind } from './receipt.lines.js';

registerEnumType(ReceiptLineKind, {
  name: 'ReceiptLineKind',
  description:
    'ENERGY, TIME, SESSION_FEE: priced lines; NOT_COLLECTED: what the card hold did not cover; ADJUSTMENT: rounding of sessions priced before per-line tax; REFUND: a succeeded refund (credit).',
});

@ObjectType({ description: 'The operator, merchant of record, as it was when the receipt was issued.' })
export class ReceiptMerchant {
  @Field(() => String, { description: 'Its legal name (its display name while it has not set one).' })
  legalName!: string;

  @Field(() => String, { nullable: true })
  address?: string | null;

  @Field(() => String, { nullable: true })
  vatId?: string | null;
}

@ObjectType({ description: 'Where the session took place, as it was when the receipt was issued.' })
export class ReceiptStation {
  @Field(() => ID)
  id!: string;

  @Field(() => String, { nullable: true })
  name?: string | null;

  @Field(() => String, { nullable: true, description: 'On one line.' })
  address?: string | null;
}

@ObjectType({ description: 'One line of a receipt: net amount, tax rate and tax, each in minor units.' })
export class ReceiptLine {
  @Field(() => ReceiptLineKind)
  kind!: ReceiptLineKind;

  @Field(() => String)
  description!: string;

  @Field(() => Money, { description: 'Negative on credit lines (not collected, refund).' })
  net!: Money;

  @Field(() => Int, { description: '1/100 of a percent: 1900 = 19 %.' })
  taxRateBasisPoints!: number;

  @Field(() => Money, {
    description: 'net × rate rounded half up on this line (priced lines); see the payment README.',
  })
  tax!: Money;

  @Field(() => Money, { description: 'net + tax.' })
  total!: Money;
}

@ObjectType({
  description:
    'The receipt of a succeeded payment, issued by the operator (merchant of record) on its first read; its lines add up to its total.',
})
export class Receipt {
  @Field(() => String, { description: 'Gapless and sequential per operator, e.g. 000042; never changes.' })
  number!: string;

  @Field(() => Int, { description: 'The number as an integer: 1, 2, 3, … per operator.' })
  sequence!: number;

  @Field(() => Date)
  issuedAt!: Date;

  @Field(() => Date, { nullable: true, description: 'When the money was captured.' })
  paidAt?: Date | null;

  @Field(() => ReceiptMerchant)
  merchant!: ReceiptMerchant;

  @Field(() => ReceiptStation, { nullable: true })
  station?: ReceiptStation | null;

  @Field(() => Date)
  sessionStartedAt!: Date;

  @Field(() => Date, { nullable: true })
  sessionEndedAt?: Date | null;

  @Field(() => Int)
  energyWh!: number;

  @Field(() => [ReceiptLine], { description: 'Priced lines, then credit lines; they add up to `total`.' })
  lines!: ReceiptLine[];

  @Field(() => Money, { description: 'Sum of the lines’ net amounts.' })
  net!: Money;

  @Field(() => Money, { description: 'Sum of the lines’ tax.' })
  tax!: Money;

  @Field(() => Money, { description: 'net + tax: what was charged less what was refunded.' })
  total!: Money;

  @Field(() => Money, { description: 'What was charged (before refunds).' })
  amount!: Money;

  @Field(() => Money, { description: 'Succeeded refunds so far.' })
  refunded!: Money;

  @Field(() => String, { nullable: true, description: 'The paying driver only (and platform admins).' })
  cardBrand?: string | null;

  @Field(() => String, { nullable: true, description: 'The paying driver only (and platform admins).' })
  cardLast4?: string | null;

  @Field(() => String, {
    description: "The same receipt as a PDF: GET it from the gateway with the caller's bearer token.",
  })
  pdfUrl!: string;
}
