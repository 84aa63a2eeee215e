import { buildSubgraphSchema } from '@apollo/subgraph';
import { printSchemaWithDirectives, type IResolvers } from '@graphql-tools/utils';
import { Kind, parse, visit, type DocumentNode, type GraphQLSchema } from 'graphql';
import { buildSchema, createResolversMap, type ContainerType, type NonEmptyArray, type PubSub } from 'type-graphql';
import { authChecker } from './auth.js';
import { CACHE_CONTROL_SDL } from './cache-control.js';
import type { RequestContext } from './context.js';
import { validateArgument } from './validation.js';

/** The one Federation version every subgraph links; composition and the gateway (2.14) accept it. */
export const FEDERATION_LINK =
  'extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key", "@shareable", "@external", "@requires", "@provides", "@inaccessible", "@tag"])';

const NO_PUBSUB: PubSub = {
  publish() {
    throw new Error('subgraphs publish on the Bus (bus.ts), not on a GraphQL PubSub');
  },
  subscribe() {
    throw new Error('subscriptions are served by the gateway');
  },
};

export type ReferenceResolvers = IResolvers<unknown, RequestContext>;

/** The resolver map `buildSubgraphSchema` takes, read off its public signature (its type has no public export). */
type SubgraphResolvers = NonNullable<
  Extract<Parameters<typeof buildSubgraphSchema>[0], { typeDefs: unknown }>['resolvers']
>;

export interface FederatedSchemaOptions {
  // type-graphql takes resolver classes as plain constructors
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  resolvers: NonEmptyArray<Function>;
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  orphanedTypes?: Function[];
  /** `__resolveReference` per entity; type-graphql's @Authorized does not run here, so check access inside. */
  referenceResolvers?: ReferenceResolvers;
  /** Where type-graphql gets resolver instances (default: `new ResolverClass()`). */
  container?: ContainerType;
  /**
   * Enums used only by service-only (`@inaccessible`) operations: type-graphql cannot put a directive on an enum,
   * so they are marked `@inaccessible` here, by name, and stay out of the public API schema.
   */
  inaccessibleEnums?: string[];
}

/**
 * type-graphql classes → SDL with federation directives → an Apollo subgraph schema.
 * Build schemas one after another: type-graphql keeps its build options in a static context while it builds.
 */
export async function buildFederatedSchema(options: FederatedSchemaOptions): Promise<GraphQLSchema> {
  const schema = await buildSchema({
    resolvers: options.resolvers,
    orphanedTypes: options.orphanedTypes,
    authChecker,
    container: options.container,
    validate: { forbidUnknownValues: false },
    validateFn: validateArgument,
    skipCheck: true,
    // type-graphql wants a PubSub for any @Subscription, even one with its own `subscribe`; subgraphs never stream
    // (the gateway serves subscriptions), so this one refuses.
    pubSub: NO_PUBSUB,
  });
  const typeDefs = markEnumsInaccessible(
    parse(`${FEDERATION_LINK}\n${CACHE_CONTROL_SDL}\n${printSchemaWithDirectives(schema)}`),
    new Set(options.inaccessibleEnums ?? []),
  );
  const resolvers = mergeResolvers(createResolversMap(schema) as ReferenceResolvers, options.referenceResolvers ?? {});
  // Apollo types resolver maps with an unknown context; ours all take RequestContext.
  return buildSubgraphSchema({ typeDefs, resolvers: resolvers as SubgraphResolvers });
}

function mergeResolvers(base: ReferenceResolvers, extra: ReferenceResolvers): ReferenceResolvers {
  const merged: ReferenceResolvers = { ...base };
  for (const [typeName, fields] of Object.entries(extra)) {
    merged[typeName] = { ...(base[typeName] as object), ...(fields as object) } as ReferenceResolvers[string];
  }
  return merged;
}

function markEnumsInaccessible(document: DocumentNode, names: ReadonlySet<string>): DocumentNode {
  if (names.size === 0) return document;
  return visit(document, {
    EnumTypeDefinition(node) {
      if (!names.has(node.name.value) || node.directives?.some((d) => d.name.value === 'inaccessible'))
        return undefined;
      const inaccessible = { kind: Kind.DIRECTIVE, name: { kind: Kind.NAME, value: 'inaccessible' } } as const;
      return { ...node, directives: [...(node.directives ?? []), inaccessible] };
    },
  });
}
