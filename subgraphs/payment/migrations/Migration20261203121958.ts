import { Migration } from '@mikro-orm/migrations';

/**
 * The append-only payment ledger (ledger/ledger-entry.entity.ts): a table that refuses UPDATE and DELETE by trigger,
 * the payment's provider fee and application fee given back, and a backfill of the money of payments that succeeded
 * before the ledger existed (code `backfilled`; their provider balance transactions were never recorded).
 */
export class Migration20261203121958 extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table "ledger_entry" ("id" uuid not null, "payment_id" uuid not null, "session_id" uuid not null, "operator_id" uuid not null, "attempt" int not null, "kind" text check ("kind" in ('ATTEMPT_OPENED', 'ACTION_REQUIRED', 'HOLD_PLACED', 'HOLD_INCREMENTED', 'HOLD_RELEASED', 'AMOUNT_FIXED', 'UNCOLLECTED', 'CAPTURED', 'CHARGED', 'FAILED', 'APPLICATION_FEE_TAKEN', 'APPLICATION_FEE_REFUNDED', 'PROVIDER_FEE', 'REFUND_REQUESTED', 'REFUND_DEBITED', 'REFUND_SUCCEEDED', 'REFUND_FAILED', 'REFUND_CANCELED', 'DISPUTE_OPENED', 'DISPUTE_FUNDS_WITHDRAWN', 'DISPUTE_FUNDS_REINSTATED', 'DISPUTE_WON', 'DISPUTE_LOST')) not null, "amount" int not null, "currency" varchar(3) not null, "provider_account_id" varchar(255) null, "provider_object_id" varchar(255) null, "provider_transaction_id" varchar(255) null, "refund_id" uuid null, "dispute_id" uuid null, "code" varchar(100) null, "occurred_at" timestamptz not null, constraint "ledger_entry_pkey" primary key ("id"), constraint ledger_entry_amount_check check (amount >= 0));`,
    );
    this.addSql(`create index "ledger_entry_payment_id_index" on "ledger_entry" ("payment_id");`);
    this.addSql(
      `create index "ledger_entry_operator_id_occurred_at_index" on "ledger_entry" ("operator_id", "occurred_at");`,
    );
    this.addSql(
      `alter table "ledger_entry" add constraint "ledger_entry_kind_provider_transaction_id_unique" unique ("kind", "provider_transaction_id");`,
    );
    this.addSql(`create function ledger_entry_is_append_only() returns trigger language plpgsql as $$
      begin
        raise exception 'ledger_entry is append-only: % refused', tg_op using errcode = 'restrict_violation';
      end $$;`);
    this.addSql(`create trigger ledger_entry_append_only before update or delete on "ledger_entry"
      for each row execute function ledger_entry_is_append_only();`);

    this.addSql(
      `alter table "payment" add column "application_fee_refunded_amount" int not null default 0, add column "provider_fee_amount" int null;`,
    );
    this.addSql(
      `alter table "payment" add constraint payment_application_fee_refunded_amount_check check(application_fee_refunded_amount >= 0);`,
    );
    this.addSql(
      `alter table "payment" add constraint payment_provider_fee_amount_check check(provider_fee_amount >= 0);`,
    );

    this
      .addSql(`insert into "ledger_entry" ("id", "payment_id", "session_id", "operator_id", "attempt", "kind", "amount", "currency", "provider_account_id", "provider_object_id", "code", "occurred_at")
      select gen_random_uuid(), id, session_id, operator_id, attempt, case kind when 'HOLD' then 'CAPTURED' else 'CHARGED' end,
             amount, currency, provider_account_id, payment_intent_id, 'backfilled', coalesce(captured_at, updated_at)
        from "payment" where status = 'SUCCEEDED' and amount > 0;`);
    this
      .addSql(`insert into "ledger_entry" ("id", "payment_id", "session_id", "operator_id", "attempt", "kind", "amount", "currency", "provider_account_id", "provider_object_id", "code", "occurred_at")
      select gen_random_uuid(), id, session_id, operator_id, attempt, 'APPLICATION_FEE_TAKEN',
             application_fee_amount, currency, provider_account_id, payment_intent_id, 'backfilled', coalesce(captured_at, updated_at)
        from "payment" where status = 'SUCCEEDED' and application_fee_amount > 0;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "ledger_entry" cascade;`);
    this.addSql(`drop function if exists ledger_entry_is_append_only();`);
    this.addSql(`alter table "payment" drop constraint payment_application_fee_refunded_amount_check;`);
    this.addSql(`alter table "payment" drop constraint payment_provider_fee_amount_check;`);
    this.addSql(
      `alter table "payment" drop column "application_fee_refunded_amount", drop column "provider_fee_amount";`,
    );
  }
}
