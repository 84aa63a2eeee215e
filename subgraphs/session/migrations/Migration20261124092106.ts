import { Migration } from '@mikro-orm/migrations';

export class Migration20261124092106 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "charging_session" add column "time_zone" varchar(64) null;`);
    this.addSql(
      `create index "charging_session_station_started_analytics_index" on "charging_session" ("station_id", "started_at") include ("status", "ended_at", "energy_wh", "time_zone");`,
    );
    this.addSql(
      `create index "charging_session_operator_started_analytics_index" on "charging_session" ("operator_id", "started_at") include ("status", "ended_at", "energy_wh", "time_zone");`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(`drop index "charging_session_station_started_analytics_index";`);
    this.addSql(`drop index "charging_session_operator_started_analytics_index";`);
    this.addSql(`alter table "charging_session" drop column "time_zone";`);
  }
}
