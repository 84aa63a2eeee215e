import { Directive, Field, ID, ObjectType } from 'type-graphql';

/*
 * Federation stubs of entities other subgraphs own: only their key lives here; the gateway fetches every other field
 * from the owner.
 */

/** The operator subgraph owns `Operator`; this subgraph contributes its payment account, payments and revenue. */
@ObjectType('Operator')
@Directive('@key(fields: "id")')
export class Operator {
  @Field(() => ID)
  id!: string;

  static ref(id: string): Operator {
    return Object.assign(new Operator(), { id });
  }
}

/** The session subgraph owns `ChargingSession`; this subgraph contributes `ChargingSession.payment`. */
@ObjectType('ChargingSession')
@Directive('@key(fields: "id")')
export class ChargingSession {
  @Field(() => ID)
  id!: string;

  static ref(id: string): ChargingSession {
    return Object.assign(new ChargingSession(), { id });
  }
}
