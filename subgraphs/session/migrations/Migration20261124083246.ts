import { Migration } from '@mikro-orm/migrations';

export class Migration20261124083246 extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table "charging_session" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "status" text check ("status" in ('ACTIVE', 'COMPLETED', 'FAILED', 'CANCELLED')) not null default 'ACTIVE', "station_id" uuid not null, "connector_id" varchar(100) not null, "driver_id" varchar(200) not null, "operator_id" uuid not null, "started_at" timestamptz not null, "ended_at" timestamptz null, "energy_wh" int not null default 0, "last_meter_at" timestamptz null, "tariff_id" uuid not null, "tariff_currency" varchar(3) not null, "tariff_energy_price_per_kwh" numeric(18,6) not null, "tariff_time_price_per_hour" numeric(18,6) not null, "tariff_session_fee_amount" int not null, "tariff_tax_rate_basis_points" int not null, "tariff_pre_authorization_amount" int not null, "cost_energy" int null, "cost_time" int null, "cost_session_fee" int null, "cost_tax" int null, "cost_total" int null, constraint "charging_session_pkey" primary key ("id"), constraint charging_session_ended_consistently check (("status" = 'ACTIVE' and "ended_at" is null and "cost_total" is null) or ("status" <> 'ACTIVE' and "ended_at" is not null and "cost_total" is not null)));`,
    );
    this.addSql(`create index "charging_session_station_id_id_index" on "charging_session" ("station_id", "id");`);
    this.addSql(`create index "charging_session_operator_id_id_index" on "charging_session" ("operator_id", "id");`);
    this.addSql(`create index "charging_session_driver_id_id_index" on "charging_session" ("driver_id", "id");`);
    this.addSql(
      `create unique index "charging_session_active_driver_unique" on "charging_session" ("driver_id") where "status" = 'ACTIVE';`,
    );
    this.addSql(
      `create unique index "charging_session_active_connector_unique" on "charging_session" ("station_id", "connector_id") where "status" = 'ACTIVE';`,
    );

    this.addSql(
      `create table "meter_value" ("id" uuid not null, "session_id" uuid not null, "energy_wh" int not null, "measured_at" timestamptz not null, "recorded_at" timestamptz not null, "recorded_by" varchar(250) not null, constraint "meter_value_pkey" primary key ("id"));`,
    );
    this.addSql(
      `create index "meter_value_session_id_measured_at_index" on "meter_value" ("session_id", "measured_at");`,
    );

    this.addSql(
      `alter table "meter_value" add constraint "meter_value_session_id_foreign" foreign key ("session_id") references "charging_session" ("id") on update cascade;`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "meter_value" drop constraint "meter_value_session_id_foreign";`);

    this.addSql(`drop table if exists "charging_session" cascade;`);

    this.addSql(`drop table if exists "meter_value" cascade;`);
  }
}
