import { entityStub } from '../../platform/subgraph/entity-stub.js';

/*
 * Federation stubs of entities other subgraphs own: only their key lives here; the gateway fetches every other field
 * from the owner.
 */

// The operator subgraph owns `Operator`; this subgraph contributes its payment account, payments and revenue.
export const Operator = entityStub('Operator');
export type Operator = InstanceType<typeof Operator>;

// The session subgraph owns `ChargingSession`; this subgraph contributes `ChargingSession.payment`.
export const ChargingSession = entityStub('ChargingSession');
export type ChargingSession = InstanceType<typeof ChargingSession>;
