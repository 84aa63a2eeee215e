import { Arg, Authorized, Ctx, Mutation, Resolver } from 'type-graphql';
import type { RequestContext } from '../../common/context.js';
import { Role } from '../../common/identity.js';
import { Connector } from './connector.entity.js';
import { SetConnectorStatusInput } from './connector.inputs.js';
import { ConnectorService } from './connector.service.js';

@Resolver(() => Connector)
export class ConnectorResolver {
  @Authorized(Role.OPERATOR_ADMIN)
  @Mutation(() => Connector, {
    description: "An operator's admins (or platform admins and services) set a connector's status.",
  })
  setConnectorStatus(
    @Arg('input', () => SetConnectorStatusInput) input: SetConnectorStatusInput,
    @Ctx() ctx: RequestContext,
  ): Promise<Connector> {
    return new ConnectorService(ctx).setStatus(input);
  }
}
