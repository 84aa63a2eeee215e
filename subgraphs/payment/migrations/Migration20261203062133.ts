import { Migration } from '@mikro-orm/migrations';

/**
 * Refunds give back the platform's application fee in proportion, per operator (default on). Refunds recorded
 * before this migration kept the fee: their column says so, so a replay sends the provider the same request.
 */
export class Migration20261203062133 extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `alter table "operator_payment_account" add column "refund_application_fee" boolean not null default true;`,
    );
    this.addSql(`alter table "refund" add column "refund_application_fee" boolean not null default false;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "operator_payment_account" drop column "refund_application_fee";`);
    this.addSql(`alter table "refund" drop column "refund_application_fee";`);
  }
}
