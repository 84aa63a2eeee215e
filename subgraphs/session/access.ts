import { createHmac } from 'node:crypto';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { Config } from '../../platform/config.js';
import { forbidden, unauthenticated } from '../../platform/errors.js';
import { Role, type Identity } from '../../platform/identity.js';
import { isUuid } from '../../platform/ids.js';
import type { ChargingSession } from './session/session.entity.js';

/*
 * Who may see which sessions, and what of them, in one place:
 *  - DRIVER: their own sessions (the driver id is the token's subject), with their real driver id;
 *  - OPERATOR_ADMIN: its operator's sessions, with real driver ids (it bills them and answers their questions);
 *  - PLATFORM_ADMIN and SERVICE (another ChargeGraph process, e.g. the payment subgraph): all, with real driver ids;
 *  - ANALYST: all sessions, read-only, with the driver id replaced by a pseudonym (`driverId` below);
 *  - PARTNER: none (FORBIDDEN); no token: UNAUTHENTICATED. The public catalogue lives in the station subgraph.
 * Someone else's session is simply not found (the scope is a query filter), so its existence is not revealed.
 * No mutation here admits ANALYST or PARTNER (see the resolvers' @Authorized and the service's checks).
 * Analytics (aggregates): analysts, platform admins, an operator's admins for their operator (platform/subgraph/analytics/access.ts),
 * narrowed below (`analyticsOperatorScope`) so a forged representation cannot widen an operator admin's view.
 */

/** A filter that narrows sessions to those a caller may see. */
export type SessionScope = Partial<Pick<ChargingSession, 'driverId' | 'operatorId'>>;

/**
 * Who sees which sessions: a driver their own, an operator admin its operator's, platform admins, services and
 * analysts all. Applied as a query filter everywhere sessions are read (queries, `_entities`, `Station.sessions`),
 * so someone else's session is simply not found: its existence is not revealed.
 */
export function visibleSessions(identity: Identity): SessionScope {
  switch (identity.role) {
    case undefined:
      throw unauthenticated();
    case Role.PLATFORM_ADMIN:
    case Role.SERVICE:
    case Role.ANALYST:
      return {};
    case Role.DRIVER:
      if (identity.sub) return { driverId: identity.sub };
      break;
    case Role.OPERATOR_ADMIN:
      if (identity.operatorId) return { operatorId: identity.operatorId };
      break;
  }
  throw forbidden('You may not see charging sessions.');
}

/**
 * Analytics over sessions (`Station.energy`, `Station.utilisation`, `Operator.energy`): an operator admin's figures
 * count only its own operator's sessions, by the operator stored on each session at start, whatever operator a
 * representation claims (`@requires` fields come from whoever calls `_entities`: hints to compute with, never facts
 * to authorize on). Null for everyone else allowed to read analytics (analysts, platform admins, services).
 */
export function analyticsOperatorScope(identity: Identity): string | null {
  if (identity.role !== Role.OPERATOR_ADMIN) return null;
  return identity.operatorId && isUuid(identity.operatorId) ? identity.operatorId : NO_OPERATOR;
}

const NO_OPERATOR = '00000000-0000-0000-0000-000000000000';

/** Sessions (and RFID tags) are drivers' own: the driver id is the token's subject, never an argument. */
export function requireDriver(identity: Identity, action = 'start charging sessions'): string {
  if (!identity.role) throw unauthenticated();
  if (identity.role !== Role.DRIVER || !identity.sub) throw forbidden(`Only drivers ${action}.`);
  return identity.sub;
}

/** The charger operations are for the OCPP process only (a service identity), never for clients or admins. */
export function requireService(identity: Identity): void {
  if (!identity.role) throw unauthenticated();
  if (identity.role !== Role.SERVICE) throw forbidden('Only the charger service may do this.');
}

/** Roles that see a session's real driver id (where they see the session at all); everyone else gets a pseudonym. */
const REAL_DRIVER_IDS = new Set<Role | undefined>([
  Role.DRIVER,
  Role.OPERATOR_ADMIN,
  Role.PLATFORM_ADMIN,
  Role.SERVICE,
]);

const settingsSchema = z.object({
  /** Key of the analysts' driver pseudonyms; set it in production so pseudonyms survive a signing-secret rotation. */
  DRIVER_PSEUDONYM_SECRET: z.string().min(32).optional(),
});

/**
 * Analysts' view of a driver id: `drv_` + 128 bits of HMAC-SHA256(key, driver id). Stable per driver (the same
 * driver gets the same pseudonym in every session and every request, so analysts can count repeat drivers), not
 * reversible without the key, and different from any real id.
 */
export class DriverPseudonyms {
  private readonly key: Buffer;

  constructor(secret: string) {
    this.key = createHmac('sha256', secret).update('chargegraph/driver-pseudonyms/v1').digest();
  }

  /** Reads DRIVER_PSEUDONYM_SECRET; without it the key is derived from the first subgraph signing secret. */
  static fromConfig(config: Pick<Config, 'env' | 'signingSecrets' | 'NODE_ENV'>, logger: Logger): DriverPseudonyms {
    const parsed = settingsSchema.safeParse(config.env);
    if (!parsed.success)
      throw new Error(
        `Invalid session configuration:\n${parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`).join('\n')}`,
      );
    const secret = parsed.data.DRIVER_PSEUDONYM_SECRET;
    if (!secret && config.NODE_ENV === 'production')
      logger.warn(
        "DRIVER_PSEUDONYM_SECRET is unset: analysts' driver pseudonyms change when the first signing secret rotates",
      );
    return new DriverPseudonyms(secret ?? config.signingSecrets[0]);
  }

  pseudonym(driverId: string): string {
    return `drv_${createHmac('sha256', this.key).update(driverId).digest('hex').slice(0, 32)}`;
  }

  /** The driver id as this caller may read it. */
  driverIdFor(identity: Identity, driverId: string): string {
    return REAL_DRIVER_IDS.has(identity.role) ? driverId : this.pseudonym(driverId);
  }
}
