import { Arg, Args, Authorized, Ctx, Directive, ID, Mutation, ObjectType, Query, Resolver } from 'type-graphql';
import { CATALOGUE } from '../cache-hints.js';
import { requireUpdateOperator } from '../access.js';
import type { RequestContext } from '../../../platform/subgraph/context.js';
import type { ReferenceResolvers } from '../../../platform/subgraph/federation.js';
import { Role } from '../../../platform/identity.js';
import { ConnectionType, PageArgs } from '../../../platform/subgraph/pagination.js';
import { Operator } from './operator.entity.js';
import { CreateOperatorInput, UpdateOperatorInput } from './operator.inputs.js';
import { OperatorService } from './operator.service.js';
import { operatorRecordById, type OperatorRecord } from './operator.rows.js';

@ObjectType()
export class OperatorConnection extends ConnectionType(Operator, 'Operator') {}

@Resolver(() => Operator)
export class OperatorResolver {
  @Query(() => Operator, { description: 'One operator; part of the public catalogue.' })
  @Directive(CATALOGUE)
  operator(@Arg('id', () => ID) id: string, @Ctx() ctx: RequestContext): Promise<OperatorRecord> {
    return new OperatorService(ctx.em).find(id);
  }

  @Query(() => OperatorConnection, { description: 'All operators, oldest first.' })
  @Directive(CATALOGUE)
  operators(@Args(() => PageArgs) page: PageArgs, @Ctx() ctx: RequestContext) {
    return new OperatorService(ctx.em).list(page);
  }

  @Authorized(Role.PLATFORM_ADMIN)
  @Mutation(() => Operator, { description: 'Platform admins register an operator.' })
  createOperator(
    @Arg('input', () => CreateOperatorInput) input: CreateOperatorInput,
    @Ctx() ctx: RequestContext,
  ): Promise<Operator> {
    return new OperatorService(ctx.em).create(input);
  }

  @Authorized(Role.OPERATOR_ADMIN)
  @Mutation(() => Operator, { description: "An operator's admins (or platform admins) update its details." })
  updateOperator(
    @Arg('id', () => ID) id: string,
    @Arg('input', () => UpdateOperatorInput) input: UpdateOperatorInput,
    @Ctx() ctx: RequestContext,
  ): Promise<Operator> {
    requireUpdateOperator(ctx.identity, id, input.status !== undefined && input.status !== null);
    return new OperatorService(ctx.em).update(id, input);
  }
}

/** Operators are public catalogue data: any caller may resolve one by key. */
export const operatorReferences: ReferenceResolvers = {
  Operator: {
    __resolveReference: (reference: { id: string }, ctx: RequestContext) =>
      ctx.loader(operatorRecordById).load(reference.id),
  },
};
