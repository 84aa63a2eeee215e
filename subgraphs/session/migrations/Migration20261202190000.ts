import { Migration } from '@mikro-orm/migrations';

/**
 * Sessions follow the charger (issue 12): PENDING until the charger confirms (it holds the connector and the driver
 * like ACTIVE), why a session ended, the charger's ids and energy register, the hold, settlement, and RFID tags.
 */
export class Migration20261202190000 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "charging_session" drop constraint if exists "charging_session_status_check";`);
    this.addSql(
      `alter table "charging_session" add constraint "charging_session_status_check" check ("status" in ('PENDING', 'ACTIVE', 'COMPLETED', 'FAILED', 'CANCELLED'));`,
    );
    this.addSql(`alter table "charging_session" alter column "status" set default 'PENDING';`);
    this.addSql(`alter table "charging_session"
      add column "stop_reason" text check ("stop_reason" in ('DRIVER', 'ADMIN', 'CHARGER', 'HOLD_LIMIT', 'IDLE_TIMEOUT', 'MAX_DURATION', 'START_REJECTED', 'START_TIMEOUT', 'HOLD_FAILED')) null,
      add column "stop_requested_at" timestamptz null,
      add column "charge_point_id" varchar(100) null,
      add column "ocpp_connector_id" int null,
      add column "ocpp_id_tag" varchar(36) null,
      add column "remote_start_id" int null,
      add column "transaction_id" varchar(64) null,
      add column "meter_start_wh" int null,
      add column "charger_started_at" timestamptz null,
      add column "connector_power_kw" double precision null,
      add column "held_amount" int null,
      add column "settled_at" timestamptz null;`);
    // Sessions ended before this migration were settled by the app and the payment sweeper.
    this.addSql(`update "charging_session" set "settled_at" = "ended_at" where "ended_at" is not null;`);

    this.addSql(`alter table "charging_session" drop constraint "charging_session_ended_consistently";`);
    this.addSql(
      `alter table "charging_session" add constraint "charging_session_ended_consistently" check (("status" in ('PENDING', 'ACTIVE') and "ended_at" is null and "cost_total" is null) or ("status" not in ('PENDING', 'ACTIVE') and "ended_at" is not null and "cost_total" is not null));`,
    );
    this.addSql(`drop index "charging_session_active_driver_unique";`);
    this.addSql(`drop index "charging_session_active_connector_unique";`);
    this.addSql(
      `create unique index "charging_session_active_driver_unique" on "charging_session" ("driver_id") where "status" in ('PENDING', 'ACTIVE');`,
    );
    this.addSql(
      `create unique index "charging_session_active_connector_unique" on "charging_session" ("station_id", "connector_id") where "status" in ('PENDING', 'ACTIVE');`,
    );
    this.addSql(
      `create unique index "charging_session_charger_transaction_unique" on "charging_session" ("charge_point_id", "transaction_id") where "transaction_id" is not null;`,
    );
    this.addSql(
      `create index "charging_session_open_index" on "charging_session" ("status", "created_at") where "status" in ('PENDING', 'ACTIVE');`,
    );
    this.addSql(
      `create index "charging_session_open_id_tag_index" on "charging_session" ("ocpp_id_tag") where "status" in ('PENDING', 'ACTIVE');`,
    );
    this.addSql(
      `create index "charging_session_unsettled_index" on "charging_session" ("ended_at") where "settled_at" is null and "ended_at" is not null;`,
    );
    // OCPP 1.6 transaction ids and 2.0.1 remote start ids are integers: sequences, not UUIDs.
    this.addSql(`create sequence "charging_session_transaction_id_seq" as integer;`);
    this.addSql(`create sequence "charging_session_remote_start_id_seq" as integer;`);

    this.addSql(
      `create table "rfid_tag" ("id_tag" varchar(36) not null, "driver_id" varchar(200) not null, "linked_at" timestamptz not null, constraint "rfid_tag_pkey" primary key ("id_tag"));`,
    );
    this.addSql(`create index "rfid_tag_driver_id_index" on "rfid_tag" ("driver_id");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "rfid_tag" cascade;`);
    this.addSql(`drop sequence if exists "charging_session_remote_start_id_seq";`);
    this.addSql(`drop sequence if exists "charging_session_transaction_id_seq";`);
    this.addSql(`drop index "charging_session_unsettled_index";`);
    this.addSql(`drop index "charging_session_open_id_tag_index";`);
    this.addSql(`drop index "charging_session_open_index";`);
    this.addSql(`drop index "charging_session_charger_transaction_unique";`);
    this.addSql(`drop index "charging_session_active_driver_unique";`);
    this.addSql(`drop index "charging_session_active_connector_unique";`);
    this.addSql(`delete from "charging_session" where "status" = 'PENDING';`);
    this.addSql(
      `create unique index "charging_session_active_driver_unique" on "charging_session" ("driver_id") where "status" = 'ACTIVE';`,
    );
    this.addSql(
      `create unique index "charging_session_active_connector_unique" on "charging_session" ("station_id", "connector_id") where "status" = 'ACTIVE';`,
    );
    this.addSql(`alter table "charging_session" drop constraint "charging_session_ended_consistently";`);
    this.addSql(
      `alter table "charging_session" add constraint "charging_session_ended_consistently" check (("status" = 'ACTIVE' and "ended_at" is null and "cost_total" is null) or ("status" <> 'ACTIVE' and "ended_at" is not null and "cost_total" is not null));`,
    );
    this.addSql(`alter table "charging_session"
      drop column "stop_reason", drop column "stop_requested_at", drop column "charge_point_id",
      drop column "ocpp_connector_id", drop column "ocpp_id_tag", drop column "remote_start_id",
      drop column "transaction_id", drop column "meter_start_wh", drop column "charger_started_at",
      drop column "connector_power_kw", drop column "held_amount", drop column "settled_at";`);
    this.addSql(`alter table "charging_session" alter column "status" set default 'ACTIVE';`);
    this.addSql(`alter table "charging_session" drop constraint "charging_session_status_check";`);
    this.addSql(
      `alter table "charging_session" add constraint "charging_session_status_check" check ("status" in ('ACTIVE', 'COMPLETED', 'FAILED', 'CANCELLED'));`,
    );
  }
}
