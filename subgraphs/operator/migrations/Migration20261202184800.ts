import { Migration } from '@mikro-orm/migrations';

/** `Operator.postPaid`: sessions of a post-paid operator start without a hold (default off for every operator). */
export class Migration20261202184800 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "operator" add column "post_paid" boolean not null default false;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "operator" drop column "post_paid";`);
  }
}
