import { Directive, Field, ID, ObjectType } from 'type-graphql';

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
