import type { MikroORM } from '@mikro-orm/core';
import type { PostgreSqlDriver } from '@mikro-orm/postgresql';
import type { Logger } from 'pino';
import { RequestContext } from '../../../platform/subgraph/context.js';
import type { EntityClient } from '../../../platform/entity-client.js';
import { serviceIdentity } from '../../../platform/identity.js';
import { ChargingSession, ChargingSessionStatus, StopReason } from '../session/session.entity.js';
import { isChargerUnreachable, nearHoldLimit } from '../session/session.service.js';
import { SessionWrites } from '../session/session.writes.js';
import type { SessionRuntime } from './runtime.js';

/** Rows one sweep looks at per kind; the next minute takes the rest. */
const SWEEP_BATCH = 200;
/** An ended session not settled after this long lost its settle job (crash between commit and queue): queue it again. */
const SETTLE_GRACE_MS = 2 * 60_000;

export interface SweepResult {
  timedOut: number;
  ended: number;
  resettled: number;
  holdChecks: number;
}

/**
 * The bodies of the session jobs, as plain methods (tests call them with an explicit `now`). Each runs as the
 * session service (Role.SERVICE) and is idempotent: pg-boss may run a job twice, and several replicas sweep.
 */
export class SessionLifecycle {
  constructor(
    private readonly orm: MikroORM<PostgreSqlDriver>,
    private readonly services: EntityClient,
    private readonly runtime: SessionRuntime,
    private readonly logger: Logger,
  ) {}

  private writes(): SessionWrites {
    const ctx = new RequestContext(this.orm.em.fork(), serviceIdentity('session'), this.logger, this.services);
    return new SessionWrites(ctx, this.runtime);
  }

  /** session-start-timeout: still PENDING after SESSION_START_TIMEOUT_MS → FAILED (START_TIMEOUT), hold released. */
  async startTimeout(sessionId: string, now = new Date()): Promise<boolean> {
    const writes = this.writes();
    const session = await this.orm.em.fork().findOne(ChargingSession, { id: sessionId });
    if (session?.status !== ChargingSessionStatus.PENDING) return false;
    if (now.getTime() - session.createdAt.getTime() < this.runtime.settings.SESSION_START_TIMEOUT_MS) return false;
    const failed = await writes.failIfPending(sessionId, StopReason.START_TIMEOUT, now);
    if (failed.status !== ChargingSessionStatus.FAILED) return false;
    await writes.settleSoon(sessionId);
    return true;
  }

  /** session-settle: see SessionWrites.settle (throws when a retry can help). */
  async settle(sessionId: string, now = new Date()): Promise<string> {
    return this.writes().settle(sessionId, now);
  }

  /**
   * session-hold-check: the cost so far reached the threshold of the hold → ask for one more pre-authorisation
   * amount; declined or unsupported → stop at the charger (HOLD_LIMIT), or end now if it cannot be reached or the
   * station has none. The capture never exceeds what was authorised (the payment subgraph caps it).
   */
  async holdCheck(sessionId: string, now = new Date()): Promise<'ok' | 'incremented' | 'stopping' | 'ended'> {
    const writes = this.writes();
    const session = await this.orm.em.fork().findOne(ChargingSession, { id: sessionId });
    const threshold = this.runtime.settings.HOLD_INCREMENT_THRESHOLD_PERCENT;
    if (!session || session.heldAmount == null || !nearHoldLimit(session, now, threshold)) return 'ok';
    const wanted = session.heldAmount + session.tariff.preAuthorizationAmount;
    const increment = await writes.upstream.incrementHold(sessionId, wanted);
    if (increment.incremented) {
      await writes.changeLocked({ id: sessionId }, {}, (s) => {
        s.heldAmount = Math.max(s.heldAmount ?? 0, increment.authorizedAmount);
      });
      return 'incremented';
    }
    this.logger.info({ sessionId, reason: increment.reason }, 'hold not incremented; stopping the session');
    if (session.chargePointId && session.transactionId) {
      try {
        if ((await writes.stopAtCharger(sessionId, {}, StopReason.HOLD_LIMIT, now)) !== 'refused') return 'stopping';
        this.logger.warn({ sessionId }, 'charger refused to stop at the hold limit; ending the session');
      } catch (error) {
        if (!isChargerUnreachable(error)) throw error;
      }
    }
    await writes.changeLocked({ id: sessionId }, {}, (s) => {
      if (s.status === ChargingSessionStatus.ACTIVE) s.end(ChargingSessionStatus.COMPLETED, now, StopReason.HOLD_LIMIT);
    });
    return 'ended';
  }

  /**
   * session-idle-sweep (every minute): nothing stays open forever.
   *  - PENDING past the start timeout → FAILED, hold released;
   *  - ACTIVE with no meter value for SESSION_IDLE_TIMEOUT_MS at a station whose charger is gone as long (or without
   *    a charger), or older than SESSION_MAX_DURATION_MS → ended from its last meter value: COMPLETED and billed when
   *    energy was delivered, else FAILED and its hold released;
   *  - ACTIVE near its hold → a hold check; ended sessions whose settle job got lost → settled again.
   */
  async idleSweep(now = new Date()): Promise<SweepResult> {
    const { SESSION_START_TIMEOUT_MS, SESSION_IDLE_TIMEOUT_MS, SESSION_MAX_DURATION_MS } = this.runtime.settings;
    const em = this.orm.em.fork();
    const result: SweepResult = { timedOut: 0, ended: 0, resettled: 0, holdChecks: 0 };

    const pending = await em.find(
      ChargingSession,
      {
        status: ChargingSessionStatus.PENDING,
        createdAt: { $lte: new Date(now.getTime() - SESSION_START_TIMEOUT_MS) },
      },
      { limit: SWEEP_BATCH, fields: ['id'] },
    );
    for (const { id } of pending) if (await this.startTimeout(id, now)) result.timedOut++;

    const idleSince = new Date(now.getTime() - SESSION_IDLE_TIMEOUT_MS);
    const tooOld = new Date(now.getTime() - SESSION_MAX_DURATION_MS);
    const active = await em.find(
      ChargingSession,
      { status: ChargingSessionStatus.ACTIVE },
      { orderBy: { createdAt: 'asc' }, limit: SWEEP_BATCH * 5 },
    );
    const idle = active.filter((s) => (s.lastMeterAt ?? s.startedAt) <= idleSince);
    const atChargers = [...new Set(idle.filter((s) => s.chargePointId).map((s) => s.stationId))];
    const chargePoints = atChargers.length ? await this.writes().upstream.chargePointsOf(atChargers) : new Map();
    const chargerGone = (s: ChargingSession) => {
      if (!s.chargePointId) return true; // manual station: nobody reports anything any more
      const cp = chargePoints
        .get(s.stationId)
        ?.find((c: { chargePointId: string }) => c.chargePointId === s.chargePointId);
      if (!cp) return true;
      return !cp.connected && (!cp.lastSeenAt || new Date(cp.lastSeenAt) <= idleSince);
    };
    for (const session of active) {
      const overlong = session.startedAt <= tooOld;
      if (overlong || (idle.includes(session) && chargerGone(session))) {
        if (await this.endAbandoned(session, overlong ? StopReason.MAX_DURATION : StopReason.IDLE_TIMEOUT))
          result.ended++;
      } else if (nearHoldLimit(session, now, this.runtime.settings.HOLD_INCREMENT_THRESHOLD_PERCENT)) {
        await this.runtime.holdCheckLater(session.id);
        result.holdChecks++;
      }
    }

    const unsettled = await em.find(
      ChargingSession,
      { settledAt: null, endedAt: { $lte: new Date(now.getTime() - SETTLE_GRACE_MS) } },
      { limit: SWEEP_BATCH, fields: ['id'] },
    );
    for (const { id } of unsettled) {
      await this.runtime.settleLater(id);
      result.resettled++;
    }
    if (result.timedOut || result.ended || result.resettled) this.logger.info({ ...result }, 'session sweep');
    return result;
  }

  /** Ends an abandoned session from its last meter value (tells a still-connected charger to stop, best effort). */
  private async endAbandoned(session: ChargingSession, reason: StopReason): Promise<boolean> {
    if (session.chargePointId && session.transactionId)
      await this.runtime.chargers
        .send(session.chargePointId, { action: 'StopCharging', transactionId: session.transactionId })
        .catch(() => undefined);
    const { result } = await this.writes().changeLocked({ id: session.id }, {}, (s) => {
      if (s.status !== ChargingSessionStatus.ACTIVE) return false;
      const at = s.lastMeterAt ?? s.startedAt;
      s.end(s.energyWh > 0 ? ChargingSessionStatus.COMPLETED : ChargingSessionStatus.FAILED, at, reason);
      return true;
    });
    return result;
  }
}
