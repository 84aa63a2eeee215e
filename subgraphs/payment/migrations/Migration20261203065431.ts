import { Migration } from '@mikro-orm/migrations';

/** Refund.failureReason: why the provider failed a refund. */
export class Migration20261203065431 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "refund" add column "failure_reason" varchar(255) null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "refund" drop column "failure_reason";`);
  }
}
