import {
  Collection,
  Entity,
  Enum,
  Index,
  ManyToOne,
  OneToMany,
  OptionalProps,
  PrimaryKey,
  Property,
} from '@mikro-orm/core';
import { Field, ID, Int, ObjectType } from 'type-graphql';
import { newId } from '../../../platform/ids.js';
import { LocalDate } from '../../../platform/subgraph/analytics/period.js';
import { BaseEntity } from '../../../platform/subgraph/entity.js';
import { Money } from '../../../platform/money.js';
import { byKindAndId } from './reconciliation.match.js';
import { ReconciliationDifferenceKind, ReconciliationStatus } from './reconciliation.types.js';

/**
 * One comparison of an operator's ledger with its connected account's balance transactions (and the platform's
 * application fees taken from it) for a period of UTC dates [from, to). Runs are kept: the field shows the latest.
 */
@ObjectType('Reconciliation', {
  description:
    "An operator's ledger matched one by one with the payment provider's balance transactions for a period (UTC dates).",
})
@Entity({ tableName: 'reconciliation_run' })
@Index({ properties: ['operatorId', 'periodFrom', 'periodTo', 'createdAt'] })
export class ReconciliationRun extends BaseEntity {
  [OptionalProps]?: 'createdAt' | 'updatedAt' | 'matched' | 'error' | 'finishedAt' | 'differenceList';

  @Property({ type: 'uuid' })
  operatorId!: string;

  @Field(() => LocalDate, { name: 'from' })
  @Property({ type: 'string', length: 10 })
  periodFrom!: string;

  @Field(() => LocalDate, { name: 'to' })
  @Property({ type: 'string', length: 10 })
  periodTo!: string;

  @Field(() => ReconciliationStatus)
  @Enum({ items: () => ReconciliationStatus, type: 'string', nativeEnumName: undefined })
  status!: ReconciliationStatus;

  @Field(() => Int, { description: 'Provider balance transactions that matched our ledger exactly.' })
  @Property({ type: 'integer', check: 'matched >= 0' })
  matched = 0;

  /** Why a FAILED run failed (internal; logged too). */
  @Property({ type: 'string', length: 500, nullable: true })
  error?: string | null;

  @Field(() => Date, { nullable: true, description: 'When the run finished; null while queued.' })
  @Property({ type: 'Date', columnType: 'timestamptz', nullable: true })
  finishedAt?: Date | null;

  @OneToMany(() => ReconciliationDifference, (d) => d.run)
  differences = new Collection<ReconciliationDifference>(this);

  @Field(() => [ReconciliationDifference], { name: 'differences' })
  get differenceList(): ReconciliationDifference[] {
    return this.differences.isInitialized() ? [...this.differences.getItems()].sort(byKindAndId) : [];
  }
}

@ObjectType('ReconciliationDifference', { description: 'One thing our ledger and the provider disagree on.' })
@Entity({ tableName: 'reconciliation_difference' })
export class ReconciliationDifference {
  [OptionalProps]?: 'providerId' | 'paymentId' | 'detail' | 'amountMoney';

  @PrimaryKey({ type: 'uuid' })
  id: string = newId();

  @Index()
  @ManyToOne(() => ReconciliationRun, { deleteRule: 'cascade' })
  run!: ReconciliationRun;

  @Field(() => ReconciliationDifferenceKind)
  @Enum({ items: () => ReconciliationDifferenceKind, type: 'string', nativeEnumName: undefined })
  kind!: ReconciliationDifferenceKind;

  /** Signed minor units: the provider's amount (MISSING_HERE), ours (MISSING_AT_PROVIDER), or provider − ours. */
  @Property({ type: 'integer' })
  amount!: number;

  @Property({ type: 'string', length: 3 })
  currency!: string;

  @Field(() => String, {
    nullable: true,
    description: "The provider's balance transaction (txn_…), or the charge (ch_…) for application fee refunds.",
  })
  @Property({ type: 'string', length: 255, nullable: true })
  providerId?: string | null;

  @Field(() => ID, { nullable: true, description: 'Our payment, when one is known.' })
  @Property({ type: 'uuid', nullable: true })
  paymentId?: string | null;

  /** What each side says, for the person looking into it (internal). */
  @Property({ type: 'string', length: 500, nullable: true })
  detail?: string | null;

  @Field(() => Money, { name: 'amount' })
  get amountMoney(): Money {
    return Money.of(this.amount, this.currency);
  }
}
