import { Directive, Field, ID, ObjectType } from 'type-graphql';

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
