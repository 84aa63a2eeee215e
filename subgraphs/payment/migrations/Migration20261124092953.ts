import { Migration } from '@mikro-orm/migrations';

/**
 * Analytics (payment/analytics): the station's time zone on each payment, declined attempts, and the daily revenue
 * table with the trigger that keeps it. The generated part comes from the entities; the trigger is written by hand
 * (the ORM knows no triggers) and fills the table from the payments that already exist.
 */
export class Migration20261124092953 extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table "payment_decline" ("id" uuid not null, "payment_id" uuid not null, "session_id" uuid not null, "operator_id" uuid not null, "attempt" int not null, "kind" text check ("kind" in ('HOLD', 'CHARGE')) not null, "currency" varchar(3) not null, "amount" int null, "failure_code" varchar(100) null, "time_zone" varchar(64) null, "declined_at" timestamptz not null, constraint "payment_decline_pkey" primary key ("id"));`,
    );
    this.addSql(
      `create index "payment_decline_operator_declined_analytics_index" on "payment_decline" ("operator_id", "declined_at") include ("time_zone");`,
    );

    this.addSql(
      `create table "payment_revenue_daily" ("operator_id" uuid not null, "local_date" date not null, "currency" varchar(3) not null, "gross" bigint not null default 0, "application_fees" bigint not null default 0, "refunded" bigint not null default 0, "payments" int not null default 0, "refunded_payments" int not null default 0, constraint "payment_revenue_daily_pkey" primary key ("operator_id", "local_date", "currency"));`,
    );

    this.addSql(`alter table "payment" add column "time_zone" varchar(64) null;`);

    // Adds one succeeded payment's figures (factor +1) or takes them away again (factor −1).
    this.addSql(`create function payment_revenue_daily_add(p payment, factor int) returns void language sql as $$
      insert into payment_revenue_daily as d (operator_id, local_date, currency, gross, application_fees, refunded, payments, refunded_payments)
      values (p.operator_id, (p.captured_at at time zone coalesce(p.time_zone, 'UTC'))::date, p.currency,
              factor * coalesce(p.amount, 0), factor * coalesce(p.application_fee_amount, 0), factor * p.refunded_amount,
              factor, factor * (p.refunded_amount > 0)::int)
      on conflict (operator_id, local_date, currency) do update set
        gross = d.gross + excluded.gross,
        application_fees = d.application_fees + excluded.application_fees,
        refunded = d.refunded + excluded.refunded,
        payments = d.payments + excluded.payments,
        refunded_payments = d.refunded_payments + excluded.refunded_payments
    $$;`);
    // A succeeded payment counts; any change to one (a refund, a late fee) replaces its old figures by the new ones.
    this.addSql(`create function payment_revenue_daily_apply() returns trigger language plpgsql as $$
      begin
        if tg_op <> 'INSERT' and old.status = 'SUCCEEDED' and old.captured_at is not null then
          perform payment_revenue_daily_add(old, -1);
        end if;
        if tg_op <> 'DELETE' and new.status = 'SUCCEEDED' and new.captured_at is not null then
          perform payment_revenue_daily_add(new, 1);
        end if;
        return null;
      end
    $$;`);
    this.addSql(`create trigger "payment_revenue_daily" after insert or delete
      or update of "status", "operator_id", "currency", "amount", "application_fee_amount", "refunded_amount", "captured_at", "time_zone" on "payment"
      for each row execute function payment_revenue_daily_apply();`);
    this
      .addSql(`insert into payment_revenue_daily (operator_id, local_date, currency, gross, application_fees, refunded, payments, refunded_payments)
      select operator_id, (captured_at at time zone coalesce(time_zone, 'UTC'))::date, currency,
             sum(coalesce(amount, 0)), sum(coalesce(application_fee_amount, 0)), sum(refunded_amount), count(*), count(*) filter (where refunded_amount > 0)
        from payment where status = 'SUCCEEDED' and captured_at is not null
       group by 1, 2, 3;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop trigger if exists "payment_revenue_daily" on "payment";`);
    this.addSql(`drop function if exists payment_revenue_daily_apply();`);
    this.addSql(`drop function if exists payment_revenue_daily_add(payment, int);`);

    this.addSql(`drop table if exists "payment_decline" cascade;`);

    this.addSql(`drop table if exists "payment_revenue_daily" cascade;`);

    this.addSql(`alter table "payment" drop column "time_zone";`);
  }
}
