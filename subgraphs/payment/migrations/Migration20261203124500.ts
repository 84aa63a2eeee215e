import { Migration } from '@mikro-orm/migrations';

export class Migration20261203124500 extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table "receipt" ("id" uuid not null, "payment_id" uuid not null, "operator_id" uuid not null, "number" int not null, "issued_at" timestamptz not null, "currency" varchar(3) not null, "charged_amount" int not null, "paid_at" timestamptz null, "merchant_legal_name" varchar(200) not null, "merchant_address" varchar(500) null, "merchant_vat_id" varchar(32) null, "session_id" uuid not null, "station_id" uuid not null, "station_name" varchar(200) null, "station_address" varchar(500) null, "session_started_at" timestamptz not null, "session_ended_at" timestamptz null, "energy_wh" int not null, "card_brand" varchar(32) null, "card_last4" varchar(4) null, "lines" jsonb not null, constraint "receipt_pkey" primary key ("id"), constraint receipt_number_check check (number > 0), constraint receipt_charged_amount_check check (charged_amount > 0));`,
    );
    this.addSql(`alter table "receipt" add constraint "receipt_payment_id_unique" unique ("payment_id");`);
    this.addSql(
      `alter table "receipt" add constraint "receipt_operator_id_number_unique" unique ("operator_id", "number");`,
    );

    this.addSql(
      `create table "receipt_counter" ("operator_id" uuid not null, "last_number" int not null, constraint "receipt_counter_pkey" primary key ("operator_id"), constraint receipt_counter_last_number_check check (last_number > 0));`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "receipt" cascade;`);

    this.addSql(`drop table if exists "receipt_counter" cascade;`);
  }
}
