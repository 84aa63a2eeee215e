import { Migration } from '@mikro-orm/migrations';

/** Disputes of payments (dispute/dispute.entity.ts): the read model of their ledger entries. */
export class Migration20261203123753 extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table "dispute" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "payment_id" uuid not null, "provider_dispute_id" varchar(255) not null, "amount" int not null, "currency" varchar(3) not null, "reason" varchar(100) not null, "status" text check ("status" in ('OPEN', 'WON', 'LOST')) not null default 'OPEN', "evidence_due_by" timestamptz null, "funds_withdrawn" int not null default 0, "funds_reinstated" int not null default 0, "fee" int not null default 0, constraint "dispute_pkey" primary key ("id"), constraint dispute_amount_check check (amount >= 0), constraint dispute_funds_withdrawn_check check (funds_withdrawn >= 0), constraint dispute_funds_reinstated_check check (funds_reinstated >= 0), constraint dispute_fee_check check (fee >= 0));`,
    );
    this.addSql(`create index "dispute_payment_id_index" on "dispute" ("payment_id");`);
    this.addSql(
      `alter table "dispute" add constraint "dispute_provider_dispute_id_unique" unique ("provider_dispute_id");`,
    );

    this.addSql(
      `alter table "dispute" add constraint "dispute_payment_id_foreign" foreign key ("payment_id") references "payment" ("id") on update cascade on delete restrict;`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "dispute" cascade;`);
  }
}
