import type { RequestContext } from '../../../platform/subgraph/context.js';
import { notFound } from '../../../platform/errors.js';

/** What this subgraph learns about an operator from its owner. */
export interface OperatorFacts {
  id: string;
  status: string;
}

/**
 * Asks the operator subgraph (as a service identity) whether the operator exists: a station or tariff must never
 * point at an operator that does not. Throws UPSTREAM_UNAVAILABLE when the operator subgraph does not answer.
 * A SUSPENDED operator passes: suspension stops new sessions (session subgraph), not catalogue upkeep.
 */
export async function requireOperator(ctx: RequestContext, operatorId: string): Promise<OperatorFacts> {
  const operator = await ctx.services.resolveOne<OperatorFacts>('operator', 'Operator', operatorId, 'id status');
  if (!operator) throw notFound('Operator', operatorId);
  return operator;
}
