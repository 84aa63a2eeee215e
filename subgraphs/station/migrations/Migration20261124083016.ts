import { Migration } from '@mikro-orm/migrations';

export class Migration20261124083016 extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table "tariff" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "operator_id" uuid not null, "name" varchar(200) not null, "currency" varchar(3) not null, "energy_price_per_kwh" numeric(18,6) not null, "time_price_per_hour" numeric(18,6) not null, "session_fee_amount" int not null, "tax_rate_basis_points" int not null, "pre_authorization_amount" int not null, constraint "tariff_pkey" primary key ("id"), constraint tariff_session_fee_amount_check check (session_fee_amount >= 0), constraint tariff_tax_rate_basis_points_check check (tax_rate_basis_points between 0 and 10000), constraint tariff_pre_authorization_amount_check check (pre_authorization_amount > 0));`,
    );
    this.addSql(`create index "tariff_operator_id_index" on "tariff" ("operator_id");`);

    this.addSql(
      `create table "station" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "operator_id" uuid not null, "name" varchar(200) not null, "address_street" varchar(200) not null, "address_city" varchar(100) not null, "address_postal_code" varchar(20) not null, "address_country" varchar(2) not null, "latitude" double precision not null, "longitude" double precision not null, "timezone" varchar(64) not null, "tariff_id" uuid not null, constraint "station_pkey" primary key ("id"));`,
    );
    this.addSql(`create index "station_latitude_longitude_index" on "station" ("latitude", "longitude");`);
    this.addSql(`create index "station_operator_id_id_index" on "station" ("operator_id", "id");`);

    this.addSql(
      `create table "connector" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "station_id" uuid not null, "standard" text check ("standard" in ('CCS2', 'CHADEMO', 'TYPE2', 'GBT', 'NACS')) not null, "power_kw" double precision not null, "status" text check ("status" in ('AVAILABLE', 'CHARGING', 'OUT_OF_ORDER')) not null default 'AVAILABLE', constraint "connector_pkey" primary key ("id"), constraint connector_power_kw_check check (power_kw > 0 and power_kw <= 1000));`,
    );
    this.addSql(`create index "connector_station_id_index" on "connector" ("station_id");`);

    this.addSql(
      `alter table "station" add constraint "station_tariff_id_foreign" foreign key ("tariff_id") references "tariff" ("id") on update cascade on delete restrict;`,
    );

    this.addSql(
      `alter table "connector" add constraint "connector_station_id_foreign" foreign key ("station_id") references "station" ("id") on update cascade on delete cascade;`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "station" drop constraint "station_tariff_id_foreign";`);

    this.addSql(`alter table "connector" drop constraint "connector_station_id_foreign";`);

    this.addSql(`drop table if exists "tariff" cascade;`);

    this.addSql(`drop table if exists "station" cascade;`);

    this.addSql(`drop table if exists "connector" cascade;`);
  }
}
