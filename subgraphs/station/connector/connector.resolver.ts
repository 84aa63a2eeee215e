import { Arg, Authorized, Ctx, Directive, Mutation, Resolver } from 'type-graphql';
import type { RequestContext } from '../../../platform/subgraph/context.js';
import { Role } from '../../../platform/identity.js';
import { Connector } from './connector.entity.js';
import { MarkConnectorSessionInput, ReportConnectorStatusInput, SetConnectorStatusInput } from './connector.inputs.js';
import { ConnectorService } from './connector.service.js';

@Resolver(() => Connector)
export class ConnectorResolver {
  @Authorized(Role.OPERATOR_ADMIN)
  @Mutation(() => Connector, {
    description:
      "An operator's admins (or platform admins and services) set a connector's status by hand: only at a station " +
      'without a charge point (CONFLICT otherwise: the charger reports it).',
  })
  setConnectorStatus(
    @Arg('input', () => SetConnectorStatusInput) input: SetConnectorStatusInput,
    @Ctx() ctx: RequestContext,
  ): Promise<Connector> {
    return new ConnectorService(ctx).setStatus(input);
  }

  @Directive('@inaccessible')
  @Mutation(() => Boolean, {
    description: "Service-only: a charger's connector status; true when it applied (not older than the stored one).",
  })
  reportConnectorStatus(
    @Arg('input', () => ReportConnectorStatusInput) input: ReportConnectorStatusInput,
    @Ctx() ctx: RequestContext,
  ): Promise<boolean> {
    return new ConnectorService(ctx).reportStatus(input);
  }

  @Directive('@inaccessible')
  @Mutation(() => Boolean, {
    description: 'Service-only: a platform session starts on, charges on or leaves a connector.',
  })
  markConnectorSession(
    @Arg('input', () => MarkConnectorSessionInput) input: MarkConnectorSessionInput,
    @Ctx() ctx: RequestContext,
  ): Promise<boolean> {
    return new ConnectorService(ctx).markSession(input);
  }
}
