import { Migration } from '@mikro-orm/migrations';

export class Migration20261124084528 extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table "driver_customer" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "driver_id" varchar(255) not null, "provider_customer_id" varchar(255) not null, constraint "driver_customer_pkey" primary key ("id"));`,
    );
    this.addSql(
      `alter table "driver_customer" add constraint "driver_customer_driver_id_unique" unique ("driver_id");`,
    );
    this.addSql(
      `alter table "driver_customer" add constraint "driver_customer_provider_customer_id_unique" unique ("provider_customer_id");`,
    );

    this.addSql(
      `create table "operator_payment_account" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "operator_id" uuid not null, "provider_account_id" varchar(255) null, "charges_enabled" boolean not null default false, "payouts_enabled" boolean not null default false, "details_submitted" boolean not null default false, "onboarding_status" text check ("onboarding_status" in ('NOT_STARTED', 'PENDING', 'COMPLETE', 'RESTRICTED')) not null default 'NOT_STARTED', "fee_basis_points" int not null default 0, "fee_fixed_amount" int not null default 0, "provider_state_at" timestamptz null, constraint "operator_payment_account_pkey" primary key ("id"), constraint operator_payment_account_fee_basis_points_check check (fee_basis_points between 0 and 10000), constraint operator_payment_account_fee_fixed_amount_check check (fee_fixed_amount >= 0));`,
    );
    this.addSql(
      `alter table "operator_payment_account" add constraint "operator_payment_account_operator_id_unique" unique ("operator_id");`,
    );
    this.addSql(
      `alter table "operator_payment_account" add constraint "operator_payment_account_provider_account_id_unique" unique ("provider_account_id");`,
    );

    this.addSql(
      `create table "payment" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "session_id" uuid not null, "operator_id" uuid not null, "driver_id" varchar(255) not null, "provider_account_id" varchar(255) null, "payment_intent_id" varchar(255) null, "attempt" int not null default 1, "kind" text check ("kind" in ('HOLD', 'CHARGE')) not null, "status" text check ("status" in ('PENDING', 'REQUIRES_ACTION', 'AUTHORIZED', 'SUCCEEDED', 'FAILED', 'CANCELED')) not null default 'PENDING', "currency" varchar(3) not null, "authorized_amount" int null, "amount" int null, "application_fee_amount" int null, "refunded_amount" int not null default 0, "dispute_status" text check ("dispute_status" in ('OPEN', 'WON', 'LOST')) null, "failure_code" varchar(100) null, "failure_message" varchar(500) null, "needs_attention" boolean not null default false, "attention_reason" varchar(100) null, "saved_payment_method_id" uuid null, "card_brand" varchar(32) null, "card_last4" varchar(4) null, "captured_at" timestamptz null, "version" int not null default 1, constraint "payment_pkey" primary key ("id"), constraint payment_authorized_amount_check check (authorized_amount >= 0), constraint payment_amount_check check (amount >= 0), constraint payment_application_fee_amount_check check (application_fee_amount >= 0), constraint payment_refunded_amount_check check (refunded_amount >= 0));`,
    );
    this.addSql(`alter table "payment" add constraint "payment_session_id_unique" unique ("session_id");`);
    this.addSql(`create index "payment_driver_id_index" on "payment" ("driver_id");`);
    this.addSql(
      `alter table "payment" add constraint "payment_payment_intent_id_unique" unique ("payment_intent_id");`,
    );
    this.addSql(`create index "payment_status_index" on "payment" ("status");`);
    this.addSql(`create index "payment_operator_id_id_index" on "payment" ("operator_id", "id");`);
    this.addSql(
      `create index "payment_operator_id_status_captured_at_index" on "payment" ("operator_id", "status", "captured_at");`,
    );

    this.addSql(
      `create table "processed_webhook_event" ("event_id" varchar(255) not null, "type" varchar(100) not null, "account" varchar(255) null, "processed_at" timestamptz not null, constraint "processed_webhook_event_pkey" primary key ("event_id"));`,
    );

    this.addSql(
      `create table "refund" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "payment_id" uuid not null, "provider_refund_id" varchar(255) null, "amount" int not null, "currency" varchar(3) not null, "reason" text check ("reason" in ('REQUESTED_BY_CUSTOMER', 'DUPLICATE', 'FRAUDULENT')) not null, "status" text check ("status" in ('PENDING', 'SUCCEEDED', 'FAILED', 'CANCELED')) not null default 'PENDING', constraint "refund_pkey" primary key ("id"), constraint refund_amount_check check (amount > 0));`,
    );
    this.addSql(`create index "refund_payment_id_index" on "refund" ("payment_id");`);
    this.addSql(
      `alter table "refund" add constraint "refund_provider_refund_id_unique" unique ("provider_refund_id");`,
    );

    this.addSql(
      `create table "saved_payment_method" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "driver_id" varchar(255) not null, "provider_payment_method_id" varchar(255) not null, "fingerprint" varchar(255) null, "brand" varchar(32) not null, "last4" varchar(4) not null, "exp_month" smallint not null, "exp_year" smallint not null, "removed_at" timestamptz null, constraint "saved_payment_method_pkey" primary key ("id"));`,
    );
    this.addSql(
      `alter table "saved_payment_method" add constraint "saved_payment_method_provider_payment_method_id_unique" unique ("provider_payment_method_id");`,
    );
    this.addSql(
      `create index "saved_payment_method_driver_id_removed_at_index" on "saved_payment_method" ("driver_id", "removed_at");`,
    );

    this.addSql(
      `alter table "refund" add constraint "refund_payment_id_foreign" foreign key ("payment_id") references "payment" ("id") on update cascade on delete restrict;`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "refund" drop constraint "refund_payment_id_foreign";`);

    this.addSql(`drop table if exists "driver_customer" cascade;`);

    this.addSql(`drop table if exists "operator_payment_account" cascade;`);

    this.addSql(`drop table if exists "payment" cascade;`);

    this.addSql(`drop table if exists "processed_webhook_event" cascade;`);

    this.addSql(`drop table if exists "refund" cascade;`);

    this.addSql(`drop table if exists "saved_payment_method" cascade;`);
  }
}
