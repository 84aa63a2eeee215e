import type { ApolloServerOptions, ApolloServerPlugin } from '@apollo/server';
import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import { maxDirectivesRule } from '@escape.tech/graphql-armor-max-directives';
import {
  GraphQLError,
  visit,
  type DocumentNode,
  type GraphQLSchema,
  type ValidationContext,
  type ValidationRule,
} from 'graphql';
import { getComplexity, simpleEstimator, type ComplexityEstimator } from 'graphql-query-complexity';
import { ErrorCode } from '../platform/errors.js';
import { Role } from '../platform/identity.js';
import type { GatewayContext } from './context.js';

/** Limits on what one request may ask; generous for real apps, fatal for abuse. */
export const LIMITS = {
  maxDepth: 12,
  maxAliases: 15,
  maxDirectives: 10,
  maxTokens: 3000,
  /** Cost: every field 1, a paginated list multiplies its items' cost by `first`. */
  maxCost: 5000,
  bodyBytes: '256kb',
  /** The same in bytes: the largest WebSocket message (live sessions). */
  messageBytes: 256 * 1024,
} as const;

export interface HardeningOptions {
  production: boolean;
}

/**
 * GraphQL Armor's depth, alias and directive rules, graphql-js's token limit while parsing, a list-aware cost limit
 * and introspection by role. (Armor's own cost rule is static and ignores `first`, so it is not used.)
 */
export function hardening({ production }: HardeningOptions) {
  return {
    plugins: [
      operationPlugin(),
      costLimitPlugin(LIMITS.maxCost),
      introspectionPlugin(production),
    ] satisfies ApolloServerPlugin<GatewayContext>[],
    validationRules: limitRules(),
    parseOptions: { maxTokens: LIMITS.maxTokens },
    allowBatchedHttpRequests: false, // one operation per HTTP request: batching multiplies every limit
  } satisfies Partial<ApolloServerOptions<GatewayContext>>;
}

/**
 * The depth, alias and directive limits as validation rules. `reservedAliases`: aliases the gateway itself adds to
 * the operation it runs (live sessions add one), taken from the client's allowance so the run stays within limits.
 */
export function limitRules(reservedAliases = 0): ValidationRule[] {
  return [
    maxDepthRule({ n: LIMITS.maxDepth, ...reportAsValidationError }),
    maxAliasesRule({ n: LIMITS.maxAliases - reservedAliases, ...reportAsValidationError }),
    maxDirectivesRule({ n: LIMITS.maxDirectives, ...reportAsValidationError }),
  ];
}

/** Production hides "Did you mean …?" hints, which would let a caller map the schema without introspection. */
export const hideSuggestions = (message: string) => message.replace(/ ?Did you mean .+\?$/, '');

/** Armor's rules throw by default, which Apollo turns into a 500; reported, they become validation errors. */
const reportAsValidationError = {
  exposeLimits: true,
  propagateOnRejection: false,
  onReject: [(context: ValidationContext | null, error: GraphQLError) => context?.reportError(error)],
};

/** `first: n` makes a connection cost n times its items; everything else costs 1 per field. */
const listSizeEstimator: ComplexityEstimator = ({ args, childComplexity }) =>
  typeof args.first === 'number' ? 1 + args.first * childComplexity : undefined;

const badRequest = (message: string, code = 'BAD_REQUEST') =>
  new GraphQLError(message, { extensions: { code, http: { status: 400 } } });

/** What the gateway's executor would fail on with a 500: no operation to run, or a subscription (WebSocket only). */
function operationPlugin(): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation, request }) {
          if (!operation) {
            throw badRequest(
              request.operationName
                ? `The document has no operation named "${request.operationName}".`
                : 'The document has several operations: name the one to run (operationName).',
              'OPERATION_RESOLUTION_FAILURE',
            );
          }
          if (operation.operation === 'subscription')
            throw badRequest(
              'Subscriptions are served over WebSocket (graphql-ws) at this URL; over HTTP, query or mutate.',
              'GRAPHQL_VALIDATION_FAILED',
            );
        },
      };
    },
  };
}

function costLimitPlugin(maxCost: number): ApolloServerPlugin<GatewayContext> {
  // Apollo Server hands the same parsed document to every request with the same query text, so a document's cost
  // for given variables is computed once: apps repeat a few operations with a few variable sets.
  const costs = new WeakMap<DocumentNode, Map<string, number>>();
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ request, document, schema }) {
          const key = `${request.operationName ?? ''}\u0000${JSON.stringify(request.variables ?? {})}`;
          let known = costs.get(document);
          let cost = known?.get(key);
          if (cost === undefined) {
            cost = operationCost(schema, document, request.variables ?? {}, request.operationName ?? undefined);
            if (!known) costs.set(document, (known = new Map()));
            if (known.size < COSTS_PER_DOCUMENT) known.set(key, cost);
          }
          if (cost > maxCost) throw tooExpensive(cost, maxCost);
        },
      };
    },
  };
}

/** An operation's cost for its variables; a variable of the wrong type is the client's mistake (BAD_USER_INPUT). */
export function operationCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  variables: Record<string, unknown>,
  operationName: string | undefined,
): number {
  try {
    return getComplexity({
      schema,
      query: document,
      variables,
      operationName,
      estimators: [listSizeEstimator, simpleEstimator({ defaultComplexity: 1 })],
    });
  } catch (error) {
    // getComplexity coerces the variables first.
    throw badRequest(
      error instanceof GraphQLError ? error.message : 'The variables do not match the operation.',
      ErrorCode.BAD_USER_INPUT,
    );
  }
}

export const tooExpensive = (cost: number, maxCost: number = LIMITS.maxCost) =>
  new GraphQLError(
    `This query is too expensive (cost ${cost}, limit ${maxCost}); ask for smaller pages or fewer fields.`,
    { extensions: { code: ErrorCode.QUERY_TOO_COMPLEX, cost, limit: maxCost, http: { status: 400 } } },
  );

/** Variable sets remembered per document (beyond that, computed every time: no client can grow the memory). */
const COSTS_PER_DOCUMENT = 64;

const INTROSPECTION_ROLES = new Set<Role | undefined>([Role.ANALYST, Role.PLATFORM_ADMIN]);

/** In production only analysts and platform admins may read the schema (`__schema`, `__type`). */
function introspectionPlugin(production: boolean): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ document, contextValue }) {
          if (!production || INTROSPECTION_ROLES.has(contextValue.identity.role) || !introspects(document)) return;
          throw new GraphQLError('Schema introspection is available to analysts and platform admins only.', {
            extensions: { code: ErrorCode.FORBIDDEN, http: { status: 403 } },
          });
        },
      };
    },
  };
}

function introspects(document: DocumentNode): boolean {
  let found = false;
  visit(document, {
    Field(node) {
      if (node.name.value === '__schema' || node.name.value === '__type') found = true;
    },
  });
  return found;
}
