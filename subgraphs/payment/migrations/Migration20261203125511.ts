import { Migration } from '@mikro-orm/migrations';

/** Reconciliation runs and their differences (reconciliation/reconciliation.entity.ts). */
export class Migration20261203125511 extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table "reconciliation_run" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "operator_id" uuid not null, "period_from" varchar(10) not null, "period_to" varchar(10) not null, "status" text check ("status" in ('QUEUED', 'BALANCED', 'UNBALANCED', 'FAILED')) not null, "matched" int not null default 0, "error" varchar(500) null, "finished_at" timestamptz null, constraint "reconciliation_run_pkey" primary key ("id"), constraint reconciliation_run_matched_check check (matched >= 0));`,
    );
    this.addSql(
      `create index "reconciliation_run_operator_id_period_from_period__fcc54_index" on "reconciliation_run" ("operator_id", "period_from", "period_to", "created_at");`,
    );

    this.addSql(
      `create table "reconciliation_difference" ("id" uuid not null, "run_id" uuid not null, "kind" text check ("kind" in ('MISSING_AT_PROVIDER', 'MISSING_HERE', 'AMOUNT_DIFFERS', 'FEE_DIFFERS')) not null, "amount" int not null, "currency" varchar(3) not null, "provider_id" varchar(255) null, "payment_id" uuid null, "detail" varchar(500) null, constraint "reconciliation_difference_pkey" primary key ("id"));`,
    );
    this.addSql(`create index "reconciliation_difference_run_id_index" on "reconciliation_difference" ("run_id");`);
    this.addSql(
      `alter table "reconciliation_difference" add constraint "reconciliation_difference_run_id_foreign" foreign key ("run_id") references "reconciliation_run" ("id") on update cascade on delete cascade;`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "reconciliation_difference" cascade;`);
    this.addSql(`drop table if exists "reconciliation_run" cascade;`);
  }
}
