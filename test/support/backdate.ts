import pg from 'pg';

/**
 * Test-only: moves a just-started session's start back by the time its connector needs, at its rated power, to
 * deliver `energyWh` more, so a meter value of that energy "now" passes the plausibility check (energy gained ≤
 * power × elapsed × 1.1 + 100 Wh) without waiting. Sessions that already have a meter value are left alone.
 */
export async function backdateSession(sessionDatabaseUrl: string, sessionId: string, energyWh: number): Promise<void> {
  const db = new pg.Client({ connectionString: sessionDatabaseUrl });
  await db.connect();
  try {
    await db.query(
      `update charging_session
          set started_at = started_at - make_interval(secs => ceil(greatest(0, $1::numeric - energy_wh) * 3.6 / connector_power_kw))
        where id = $2 and last_meter_at is null and connector_power_kw > 0`,
      [energyWh, sessionId],
    );
  } finally {
    await db.end();
  }
}
