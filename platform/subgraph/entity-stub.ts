import { Directive, Field, ID, ObjectType } from 'type-graphql';

/**
 * A federation stub of an entity another subgraph owns: its key `id` and nothing else. Each subgraph makes its own
 * class (`export const Operator = entityStub('Operator')`): type-graphql ties field resolvers to the class
 * process-wide, so one shared class would carry every subgraph's fields into each schema.
 */
export function entityStub(typeName: string) {
  @ObjectType(typeName)
  @Directive('@key(fields: "id")')
  class EntityStub {
    @Field(() => ID)
    id!: string;

    static ref<T extends EntityStub>(this: new () => T, id: string): T {
      return Object.assign(new this(), { id });
    }
  }
  return EntityStub;
}
