import { Arg, ID, Resolver, Subscription } from 'type-graphql';
import { DomainError, ErrorCode } from '../../../platform/errors.js';
import { ChargingSession } from './session.entity.js';

/**
 * The contract of the live session. The gateway serves it over WebSocket (graphql-ws at /graphql) by running
 * `chargingSession(id)` with the same selection whenever the session changes; this subgraph only declares it, so a
 * subscription sent here directly (it would come over HTTP) gets a clear error instead of a hanging stream.
 */
@Resolver(() => ChargingSession)
export class ChargingSessionSubscriptionResolver {
  @Subscription(() => ChargingSession, {
    description:
      "The session's current state at once, then again whenever its status, energy, cost or payment changes. " +
      'Served by the gateway over WebSocket (graphql-ws) at /graphql; drivers see their own sessions, operator ' +
      "admins their operator's. Completes once the session has ended and its payment is settled (or none is due).",
    subscribe: () => {
      throw servedByTheGateway();
    },
  })
  chargingSessionUpdated(@Arg('id', () => ID) _id: string): ChargingSession {
    throw servedByTheGateway();
  }
}

const servedByTheGateway = () =>
  new DomainError(
    ErrorCode.BAD_USER_INPUT,
    'chargingSessionUpdated is served by the gateway over WebSocket (graphql-ws at /graphql), not by this subgraph.',
  );
