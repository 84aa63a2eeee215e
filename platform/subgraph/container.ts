import type { ContainerType } from 'type-graphql';

/**
 * Hands type-graphql the resolver instances a subgraph built in `provide` (those that need clients or settings);
 * every other resolver class is constructed as usual, once.
 */
export class ResolverContainer implements ContainerType {
  private readonly instances = new Map<unknown, object>();

  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type -- type-graphql identifies resolvers by constructor
  register(type: Function, instance: object): this {
    this.instances.set(type, instance);
    return this;
  }

  get(type: unknown): object {
    let instance = this.instances.get(type);
    if (!instance) {
      instance = new (type as new () => object)();
      this.instances.set(type, instance);
    }
    return instance;
  }
}
