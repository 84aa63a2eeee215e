import { Migration } from '@mikro-orm/migrations';

export class Migration20261203121439 extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `alter table "operator" add column "legal_name" varchar(200) null, add column "legal_address" varchar(500) null, add column "vat_id" varchar(32) null;`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "operator" drop column "legal_name", drop column "legal_address", drop column "vat_id";`);
  }
}
