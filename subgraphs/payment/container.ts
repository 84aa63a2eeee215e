import type { ContainerType } from 'type-graphql';

/** Hands type-graphql the resolver instances built in `provide` (with their services), instead of `new Resolver()`. */
export class ResolverContainer implements ContainerType {
  private readonly instances = new Map<unknown, object>();

  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type -- type-graphql identifies resolvers by constructor
  register(type: Function, instance: object): this {
    this.instances.set(type, instance);
    return this;
  }

  get(type: unknown): object {
    const instance = this.instances.get(type);
    if (!instance)
      throw new Error(`no instance registered for resolver ${typeof type === 'function' ? type.name : String(type)}`);
    return instance;
  }
}
