import {
  Kind,
  parse,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLFormattedError,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';

/** The parts of a data source call that say which fields of the client's answer it was to fill. */
export interface SubgraphCall {
  document?: DocumentNode;
  request: { query?: string; variables?: Record<string, unknown> };
}

type FailedFieldError = GraphQLFormattedError & { path: Array<string | number> };

/**
 * One error per field a failed subgraph call was to fill, each with its path in the subgraph's answer:
 * `[field]` for a root call, `['_entities', i, field]` for an entity call. The gateway maps those onto the client's
 * answer (`['operators', 'edges', 0, 'node', 'stations']`) as it does for a subgraph's own errors, so a client knows
 * which parts of its answer are missing. Without a document (health checks) the one error stays without a path.
 */
export function errorsForFailedCall(
  call: SubgraphCall,
  error: Omit<GraphQLFormattedError, 'path'>,
): GraphQLFormattedError[] {
  // The planner hands data sources the fetch's document only when configured to; its text is always there.
  const document = call.document ?? parseQuietly(call.request.query);
  const operation = document?.definitions.find(
    (d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION,
  );
  if (!document || !operation) return [error];
  const fragments = new Map(
    document.definitions
      .filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION)
      .map((d) => [d.name.value, d]),
  );
  const errors: FailedFieldError[] = [];
  for (const root of responseFields(operation.selectionSet, fragments, undefined)) {
    if (root.name !== '_entities') {
      errors.push({ ...error, path: [root.key] });
      continue;
    }
    const representations = call.request.variables?.representations;
    if (!Array.isArray(representations)) continue;
    representations.forEach((representation: unknown, index) => {
      const typename = (representation as { __typename?: unknown } | null)?.__typename;
      let fields = responseFields(root.selectionSet, fragments, typeof typename === 'string' ? typename : undefined);
      if (fields.length === 0) fields = responseFields(root.selectionSet, fragments, undefined);
      for (const field of fields) errors.push({ ...error, path: [root.key, index, field.key] });
    });
  }
  return errors.length > 0 ? errors : [error];
}

function parseQuietly(query: string | undefined): DocumentNode | undefined {
  if (!query) return undefined;
  try {
    return parse(query, { noLocation: true });
  } catch {
    return undefined;
  }
}

interface ResponseField {
  /** The alias or the name: the key in the answer. */
  key: string;
  name: string;
  selectionSet?: SelectionSetNode;
}

/**
 * The fields a selection set puts into an object of type `typename` (all type conditions when it is undefined),
 * through inline fragments and named ones; `__typename` is left out (the gateway knows it without the subgraph).
 */
function responseFields(
  selectionSet: SelectionSetNode | undefined,
  fragments: Map<string, FragmentDefinitionNode>,
  typename: string | undefined,
  seen = new Set<string>(),
): ResponseField[] {
  const fields: ResponseField[] = [];
  const applies = (condition: string | undefined) => !condition || !typename || condition === typename;
  for (const selection of selectionSet?.selections ?? []) {
    if (selection.kind === Kind.FIELD) {
      const key = selection.alias?.value ?? selection.name.value;
      if (selection.name.value === '__typename' || seen.has(key)) continue;
      seen.add(key);
      fields.push({ key, name: selection.name.value, selectionSet: selection.selectionSet });
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      if (applies(selection.typeCondition?.name.value))
        fields.push(...responseFields(selection.selectionSet, fragments, typename, seen));
    } else {
      const fragment = fragments.get(selection.name.value);
      if (fragment && applies(fragment.typeCondition.name.value))
        fields.push(...responseFields(fragment.selectionSet, fragments, typename, seen));
    }
  }
  return fields;
}
