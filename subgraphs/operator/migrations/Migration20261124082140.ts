import { Migration } from '@mikro-orm/migrations';

export class Migration20261124082140 extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table "operator" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "name" varchar(200) not null, "country" varchar(2) not null, "default_currency" varchar(3) not null, "contact_email" varchar(320) not null, "status" text check ("status" in ('ACTIVE', 'SUSPENDED')) not null default 'ACTIVE', constraint "operator_pkey" primary key ("id"));`,
    );
    this.addSql(`create index "operator_status_index" on "operator" ("status");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "operator" cascade;`);
  }
}
