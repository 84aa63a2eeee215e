import { Directive, Field, ID, ObjectType } from 'type-graphql';

/**
 * Federation stubs of entities other subgraphs own. The operator subgraph owns `Operator`; this subgraph only knows
 * its key and contributes `Operator.stations` (operator-stations/).
 * Not a database entity: stations and tariffs store the operator's id as a plain column.
 */
@ObjectType('Operator')
@Directive('@key(fields: "id")')
export class Operator {
  @Field(() => ID)
  id!: string;

  static ref(id: string): Operator {
    return Object.assign(new Operator(), { id });
  }
}
