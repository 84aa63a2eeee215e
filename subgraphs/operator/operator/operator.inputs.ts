import { IsBoolean, IsEmail, IsOptional, Length } from 'class-validator';
import { Field, InputType } from 'type-graphql';
import { IsCountryCode, IsCurrencyCode, IsDisplayText, IsVatId } from '../../../platform/subgraph/validators.js';
import { OperatorStatus } from './operator.entity.js';

/** The merchant of record on receipts: the same optional fields when an operator is created or updated. */
@InputType()
abstract class MerchantDetailsInput {
  @Field(() => String, { nullable: true, description: 'Registered legal name, printed on receipts.' })
  @IsOptional()
  @Length(1, 200)
  @IsDisplayText()
  legalName?: string;

  @Field(() => String, {
    nullable: true,
    description: 'Registered address on one line, e.g. "Hauptstraße 1, 10115 Berlin, DE"; printed on receipts.',
  })
  @IsOptional()
  @Length(5, 500)
  @IsDisplayText()
  legalAddress?: string;

  @Field(() => String, { nullable: true, description: 'VAT id with its country prefix, upper case, e.g. DE123456789.' })
  @IsOptional()
  @IsVatId()
  vatId?: string;
}

@InputType()
export class CreateOperatorInput extends MerchantDetailsInput {
  @Field(() => String)
  @Length(1, 200)
  @IsDisplayText()
  name!: string;

  @Field(() => String, { description: 'ISO 3166-1 alpha-2, e.g. DE.' })
  @IsCountryCode()
  country!: string;

  @Field(() => String, { description: 'ISO 4217, e.g. EUR.' })
  @IsCurrencyCode()
  defaultCurrency!: string;

  @Field(() => String)
  @IsEmail()
  contactEmail!: string;
}

@InputType({ description: 'Fields left out stay as they are.' })
export class UpdateOperatorInput extends MerchantDetailsInput {
  @Field(() => String, { nullable: true })
  @IsOptional()
  @Length(1, 200)
  @IsDisplayText()
  name?: string;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @IsCurrencyCode()
  defaultCurrency?: string;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @IsEmail()
  contactEmail?: string;

  @Field(() => OperatorStatus, { nullable: true, description: 'Only platform admins change the status.' })
  @IsOptional()
  status?: OperatorStatus;

  @Field(() => Boolean, {
    nullable: true,
    description: 'Post-paid sessions start without a hold and are charged at the end (default false).',
  })
  @IsOptional()
  @IsBoolean()
  postPaid?: boolean;
}
