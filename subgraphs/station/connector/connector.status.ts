/*
 * A connector's effective status, as SQL over a `connector` row aliased `c` (used by the entity's formula and by
 * the catalogue's `availableOnly` filter, so what is shown and what is filtered are the same rule):
 *  1. OFFLINE when the station has a charge point that is not connected now: no live connection, or its heartbeats
 *     are overdue (`now() > offline_after`).
 *  2. Else the reported status (the charger's; the admin's on a station without a charge point), except that a
 *     connector a platform session holds is never AVAILABLE: PREPARING while the session starts, CHARGING after.
 *     Any other reported status (SUSPENDED, FAULTED, FINISHING, …) is shown as the charger says it.
 */

const chargerOffline = (c: string) =>
  `exists (select 1 from charge_point cp where cp.station_id = ${c}.station_id
     and not coalesce(cp.connected and cp.offline_after >= now(), false))`;

export const effectiveStatusSql = (c: string): string =>
  `(case
     when ${chargerOffline(c)} then 'OFFLINE'
     when ${c}.session_id is not null and ${c}.reported_status = 'AVAILABLE'
       then (case ${c}.session_state when 'STARTING' then 'PREPARING' else 'CHARGING' end)
     else ${c}.reported_status
   end)`;

export const statusSourceSql = (c: string): string =>
  `(case when exists (select 1 from charge_point cp where cp.station_id = ${c}.station_id) then 'CHARGER' else 'MANUAL' end)`;
