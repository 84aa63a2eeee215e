import { Migration } from '@mikro-orm/migrations';

/** The settle lease: one settler per ended session across replicas (the job and a stop settling at once). */
export class Migration20261203085006 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "charging_session" add column "settle_claimed_until" timestamptz null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "charging_session" drop column "settle_claimed_until";`);
  }
}
