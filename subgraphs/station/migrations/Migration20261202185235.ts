import { Migration } from '@mikro-orm/migrations';

const STATUSES = `'AVAILABLE', 'PREPARING', 'CHARGING', 'SUSPENDED', 'FINISHING', 'FAULTED', 'UNAVAILABLE', 'OFFLINE', 'OUT_OF_ORDER'`;

/**
 * Charge points (one per station), and connectors that follow them: an OCPP number per station, the reported status
 * (the charger's, or the admin's without a charge point; the effective status is computed on read), and the platform
 * session holding the connector.
 */
export class Migration20261202185235 extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table "charge_point" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "station_id" uuid not null, "charge_point_id" varchar(48) not null, "password_salt" varchar(32) not null, "password_hash" varchar(64) not null, "protocol" text check ("protocol" in ('OCPP16', 'OCPP201')) null, "connected" boolean not null default false, "last_seen_at" timestamptz null, "offline_after" timestamptz null, "firmware_version" varchar(50) null, "vendor" varchar(50) null, "model" varchar(50) null, constraint "charge_point_pkey" primary key ("id"));`,
    );
    this.addSql(`alter table "charge_point" add constraint "charge_point_station_id_unique" unique ("station_id");`);
    this.addSql(
      `alter table "charge_point" add constraint "charge_point_charge_point_id_unique" unique ("charge_point_id");`,
    );
    this.addSql(
      `alter table "charge_point" add constraint "charge_point_station_id_foreign" foreign key ("station_id") references "station" ("id") on update cascade on delete cascade;`,
    );

    // The stored status keeps its values; what clients see is now computed from it (connector.status.ts).
    this.addSql(`alter table "connector" rename column "status" to "reported_status";`);
    this.addSql(`alter table "connector" drop constraint "connector_status_check";`);
    this.addSql(
      `alter table "connector" add constraint "connector_reported_status_check" check ("reported_status" in (${STATUSES}));`,
    );
    this.addSql(
      `alter table "connector" add column "ocpp_connector_id" int null, add column "status_reported_at" timestamptz null, add column "session_id" uuid null, add column "session_state" text check ("session_state" in ('STARTING', 'CHARGING')) null;`,
    );
    // Existing connectors are numbered 1, 2, … per station in id (= creation) order, as Station.connectors lists them.
    this.addSql(
      `update "connector" c set "ocpp_connector_id" = n.number from (select id, row_number() over (partition by station_id order by id) as number from "connector") n where n.id = c.id;`,
    );
    this.addSql(`alter table "connector" alter column "ocpp_connector_id" set not null;`);
    this.addSql(
      `alter table "connector" add constraint connector_ocpp_connector_id_check check(ocpp_connector_id > 0);`,
    );
    this.addSql(
      `alter table "connector" add constraint "connector_station_id_ocpp_connector_id_unique" unique ("station_id", "ocpp_connector_id");`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "charge_point" cascade;`);
    this.addSql(`alter table "connector" drop constraint "connector_station_id_ocpp_connector_id_unique";`);
    this.addSql(
      `alter table "connector" drop column "ocpp_connector_id", drop column "status_reported_at", drop column "session_id", drop column "session_state";`,
    );
    this.addSql(`alter table "connector" drop constraint "connector_reported_status_check";`);
    // The statuses the old schema did not know become the nearest it had.
    this.addSql(
      `update "connector" set "reported_status" = case when "reported_status" in ('PREPARING', 'SUSPENDED', 'FINISHING') then 'CHARGING' when "reported_status" in ('FAULTED', 'UNAVAILABLE', 'OFFLINE') then 'OUT_OF_ORDER' else "reported_status" end;`,
    );
    this.addSql(`alter table "connector" rename column "reported_status" to "status";`);
    this.addSql(
      `alter table "connector" add constraint "connector_status_check" check ("status" in ('AVAILABLE', 'CHARGING', 'OUT_OF_ORDER'));`,
    );
  }
}
