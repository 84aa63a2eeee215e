import { Directive, Field, ID, Int, ObjectType } from 'type-graphql';
import { entityStub } from '../../platform/subgraph/entity-stub.js';

/*
 * Federation stubs of entities other subgraphs own: only their key lives here. The gateway fetches every other
 * field from the owner. Station is resolvable here because this subgraph adds `Station.sessions`.
 */

// Resolvable: this subgraph adds `Operator.energy` (analytics/).
export const Operator = entityStub('Operator');
export type Operator = InstanceType<typeof Operator>;

@ObjectType('Station')
@Directive('@key(fields: "id")')
export class Station {
  @Field(() => ID)
  id!: string;

  // Owned by the station subgraph; the gateway hands them over for the analytics fields that @require them.
  // Only present in representations for the fields that @require them (never resolved here, hence `?`).
  @Field(() => String)
  @Directive('@external')
  timezone?: string;

  @Field(() => Int)
  @Directive('@external')
  connectorCount?: number;

  @Field(() => Operator)
  @Directive('@external')
  operator?: Operator;

  static ref(id: string): Station {
    return Object.assign(new Station(), { id });
  }
}
