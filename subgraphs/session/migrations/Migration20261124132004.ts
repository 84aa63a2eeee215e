import { Migration } from '@mikro-orm/migrations';

/**
 * Per-operator energy analytics read a daily table (analytics/energy-daily.entity.ts) instead of every session: the
 * generated part comes from the entity; the trigger that keeps it is written by hand (the ORM knows no triggers) and
 * the table is filled from the sessions that already exist. A session counts on the local date its station's clock
 * showed when it started, as in analytics.service.ts.
 */
export class Migration20261124132004 extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table "session_energy_daily" ("operator_id" uuid not null, "local_date" date not null, "sessions" int not null default 0, "energy_wh" bigint not null default 0, "seconds" numeric(24,6) not null default 0, constraint "session_energy_daily_pkey" primary key ("operator_id", "local_date"));`,
    );

    // Adds one completed session's figures (factor +1) or takes them away again (factor −1).
    this
      .addSql(`create function session_energy_daily_add(s charging_session, factor int) returns void language sql as $$
      insert into session_energy_daily as d (operator_id, local_date, sessions, energy_wh, seconds)
      values (s.operator_id, (s.started_at at time zone coalesce(s.time_zone, 'UTC'))::date,
              factor, factor * s.energy_wh, factor * extract(epoch from s.ended_at - s.started_at))
      on conflict (operator_id, local_date) do update set
        sessions = d.sessions + excluded.sessions,
        energy_wh = d.energy_wh + excluded.energy_wh,
        seconds = d.seconds + excluded.seconds
    $$;`);
    // A completed session counts; any change to one replaces its old figures by the new ones.
    this.addSql(`create function session_energy_daily_apply() returns trigger language plpgsql as $$
      begin
        if tg_op <> 'INSERT' and old.status = 'COMPLETED' then
          perform session_energy_daily_add(old, -1);
        end if;
        if tg_op <> 'DELETE' and new.status = 'COMPLETED' then
          perform session_energy_daily_add(new, 1);
        end if;
        return null;
      end
    $$;`);
    this.addSql(`create trigger "session_energy_daily" after insert or delete
      or update of "status", "operator_id", "started_at", "ended_at", "energy_wh", "time_zone" on "charging_session"
      for each row execute function session_energy_daily_apply();`);
    this.addSql(`insert into session_energy_daily (operator_id, local_date, sessions, energy_wh, seconds)
      select operator_id, (started_at at time zone coalesce(time_zone, 'UTC'))::date, count(*), sum(energy_wh), sum(extract(epoch from ended_at - started_at))
        from charging_session where status = 'COMPLETED'
       group by 1, 2;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop trigger if exists "session_energy_daily" on "charging_session";`);
    this.addSql(`drop function if exists session_energy_daily_apply();`);
    this.addSql(`drop function if exists session_energy_daily_add(charging_session, int);`);
    this.addSql(`drop table if exists "session_energy_daily" cascade;`);
  }
}
