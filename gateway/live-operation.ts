import {
  GraphQLError,
  GraphQLID,
  GraphQLNonNull,
  Kind,
  OperationTypeNode,
  getOperationAST,
  getVariableValues,
  parse,
  print,
  separateOperations,
  specifiedRules,
  validate,
  valueFromAST,
  visit,
  type DocumentNode,
  type FieldNode,
  type FormattedExecutionResult,
  type GraphQLFormattedError,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from 'graphql';
import { ErrorCode } from '../platform/errors.js';
import { hideSuggestions, LIMITS, limitRules, operationCost, tooExpensive } from './hardening.js';

/*
 * A live session subscription, turned into the query the gateway runs for it: `chargingSessionUpdated(id)` with the
 * client's selection becomes `chargingSession(id)` with the same selection, variables and operation name, plus one
 * field of ours (the status, under a reserved alias) that tells when the stream may end. Pure functions: the
 * server (live-server.ts) decides when to run it.
 */

export const LIVE_FIELD = 'chargingSessionUpdated';
const QUERY_FIELD = 'chargingSession';
/** The gateway's own field in the query it runs; clients may not use this alias. */
export const STATUS_ALIAS = '_liveSessionStatus';

export interface SubscribeRequest {
  query: string;
  operationName?: string | null;
  variables?: Record<string, unknown> | null;
}

export interface LiveOperation {
  /** The session watched: bus `session_changed` messages with this id run the query again. */
  sessionId: string;
  /** The subscription as parsed (graphql-ws checks it names a subscription). */
  document: DocumentNode;
  /** The query run at subscribe and on every change. */
  query: string;
  operationName?: string;
  variables: Record<string, unknown>;
  /** The root field's key in the client's results: its alias, or chargingSessionUpdated. */
  responseKey: string;
  /** The same field's key in the query's results. */
  queryKey: string;
}

export type Prepared = { operation: LiveOperation } | { errors: GraphQLError[] };

/**
 * Parses and validates a subscription against the gateway's API schema with the HTTP limits (tokens, depth,
 * aliases, directives, cost), checks it is exactly `chargingSessionUpdated` at the root, and builds its query.
 */
export function prepareLiveOperation(
  schema: GraphQLSchema,
  request: SubscribeRequest,
  { production }: { production: boolean },
): Prepared {
  let document: DocumentNode;
  try {
    document = parse(request.query, { maxTokens: LIMITS.maxTokens });
  } catch (error) {
    return refuse(error instanceof GraphQLError ? error.message : 'The query does not parse.', 'GRAPHQL_PARSE_FAILED');
  }
  const invalid = validate(schema, document, [...specifiedRules, ...limitRules(1)]);
  if (invalid.length) {
    return {
      errors: invalid.map((error) =>
        clientError(production ? hideSuggestions(error.message) : error.message, 'GRAPHQL_VALIDATION_FAILED', error),
      ),
    };
  }
  const operationName = request.operationName ?? undefined;
  const operation = getOperationAST(document, operationName);
  if (!operation) {
    return refuse(
      operationName
        ? `The document has no operation named "${operationName}".`
        : 'The document has several operations: name the one to run (operationName).',
      'OPERATION_RESOLUTION_FAILURE',
    );
  }
  if (operation.operation !== OperationTypeNode.SUBSCRIPTION) {
    return refuse(
      'Only subscriptions are served over WebSocket; send queries and mutations to POST /graphql.',
      'BAD_REQUEST',
    );
  }
  const [field, ...others] = operation.selectionSet.selections;
  if (field?.kind !== Kind.FIELD || others.length || field.name.value !== LIVE_FIELD || field.directives?.length) {
    return refuse(
      `Subscribe to ${LIVE_FIELD} itself: one field at the root, without fragments or directives there.`,
      'GRAPHQL_VALIDATION_FAILED',
    );
  }
  if (usesAlias(document, STATUS_ALIAS))
    return refuse(`The alias ${STATUS_ALIAS} is reserved by the gateway.`, 'GRAPHQL_VALIDATION_FAILED');

  const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], request.variables ?? {});
  if (coerced.errors) return { errors: coerced.errors.map((error) => clientError(error.message, 'BAD_USER_INPUT')) };
  const idArgument = field.arguments?.find((argument) => argument.name.value === 'id');
  const sessionId: unknown =
    idArgument && valueFromAST(idArgument.value, new GraphQLNonNull(GraphQLID), coerced.coerced);
  if (typeof sessionId !== 'string') return refuse('The session id is missing.', ErrorCode.BAD_USER_INPUT);

  let cost: number;
  try {
    cost = operationCost(schema, document, request.variables ?? {}, operationName);
  } catch (error) {
    return refuse(error instanceof Error ? error.message : 'The variables do not match.', ErrorCode.BAD_USER_INPUT);
  }
  // The query adds one field to the client's selection.
  if (cost + 1 > LIMITS.maxCost) {
    const tooMuch = tooExpensive(cost + 1);
    return { errors: [clientError(tooMuch.message, ErrorCode.QUERY_TOO_COMPLEX, undefined, tooMuch.extensions)] };
  }

  return {
    operation: {
      sessionId,
      document,
      query: print(asQuery(document, operation, field)),
      operationName,
      variables: request.variables ?? {},
      responseKey: field.alias?.value ?? LIVE_FIELD,
      queryKey: field.alias?.value ?? QUERY_FIELD,
    },
  };
}

/** The subscription's operation as a query of `chargingSession`, with only the fragments it uses. */
function asQuery(document: DocumentNode, operation: OperationDefinitionNode, field: FieldNode): DocumentNode {
  const status: FieldNode = {
    kind: Kind.FIELD,
    alias: { kind: Kind.NAME, value: STATUS_ALIAS },
    name: { kind: Kind.NAME, value: 'status' },
  };
  const query: OperationDefinitionNode = {
    ...operation,
    operation: OperationTypeNode.QUERY,
    selectionSet: {
      ...operation.selectionSet,
      selections: [
        {
          ...field,
          name: { ...field.name, value: QUERY_FIELD },
          selectionSet: field.selectionSet && {
            ...field.selectionSet,
            selections: [...field.selectionSet.selections, status],
          },
        },
      ],
    },
  };
  // The fragments this operation uses (a document may hold other operations and their fragments).
  const own = separateOperations(document)[operation.name?.value ?? ''];
  return { kind: Kind.DOCUMENT, definitions: [query, ...(own?.definitions ?? []).filter(isNotOperation)] };
}

const isNotOperation = (definition: DocumentNode['definitions'][number]) =>
  definition.kind !== Kind.OPERATION_DEFINITION;

function usesAlias(document: DocumentNode, alias: string): boolean {
  let found = false;
  visit(document, {
    Field(node) {
      if (node.alias?.value === alias) found = true;
    },
  });
  return found;
}

/** A result of the query as the client's subscription result, and the session status when it was read. */
export interface LiveResult {
  data?: Record<string, unknown> | null;
  errors?: GraphQLFormattedError[];
  status?: string;
  /** The session cannot be shown to this caller (any more), or the operation cannot run: send this, then end. */
  final: boolean;
}

/** Codes after which running the query again cannot give another answer. */
const FINAL_CODES = new Set<unknown>([
  ErrorCode.NOT_FOUND,
  ErrorCode.FORBIDDEN,
  ErrorCode.UNAUTHENTICATED,
  ErrorCode.BAD_USER_INPUT,
  ErrorCode.QUERY_TOO_COMPLEX,
  'GRAPHQL_VALIDATION_FAILED',
  'GRAPHQL_PARSE_FAILED',
  'BAD_REQUEST',
]);

export function toLiveResult(operation: LiveOperation, result: FormattedExecutionResult): LiveResult {
  let status: string | undefined;
  let data: Record<string, unknown> | null | undefined = result.data;
  if (data) {
    const session = data[operation.queryKey];
    if (isRecord(session)) {
      const { [STATUS_ALIAS]: read, ...selected } = session;
      if (typeof read === 'string') status = read;
      data = { [operation.responseKey]: selected };
    } else {
      data = { [operation.responseKey]: session };
    }
  }
  const errors = result.errors
    ?.filter((error) => error.path?.[1] !== STATUS_ALIAS)
    .map((error) =>
      error.path?.[0] === operation.queryKey
        ? { ...error, path: [operation.responseKey, ...error.path.slice(1)] }
        : error,
    );
  const final = !data?.[operation.responseKey] && !!errors?.some((error) => FINAL_CODES.has(error.extensions?.code));
  return { ...(data !== undefined ? { data } : {}), ...(errors?.length ? { errors } : {}), status, final };
}

/** Sent as graphql-ws errors: GraphQLError instances (toJSON), the gateway's codes, no HTTP details. */
export function clientError(
  message: string,
  code: string,
  source?: GraphQLError,
  extensions: Record<string, unknown> = {},
): GraphQLError {
  const { http: _http, ...rest } = extensions;
  return new GraphQLError(message, {
    nodes: source?.nodes,
    source: source?.source,
    positions: source?.positions,
    path: source?.path,
    extensions: { ...rest, code },
  });
}

/** A formatted error (from an execution) as the GraphQLError graphql-ws serialises. */
export const fromFormatted = (error: GraphQLFormattedError): GraphQLError =>
  new GraphQLError(error.message, { path: error.path, extensions: error.extensions });

const refuse = (message: string, code: string): Prepared => ({ errors: [clientError(message, code)] });

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
