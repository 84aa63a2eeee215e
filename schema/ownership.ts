/**
 * Who owns what in a composed supergraph, read from its `@join__*` directives, and the rules partners must keep.
 * Used by `npm run compose`, `npm run schema:check` and by the gateway before it serves a supergraph, so a partner
 * that slips past the tooling (a hand-edited file, another pipeline) is still refused.
 */
import {
  Kind,
  parse,
  print,
  type ConstDirectiveNode,
  type ConstValueNode,
  type DefinitionNode,
  type DocumentNode,
  type FieldDefinitionNode,
  type InputValueDefinitionNode,
  type OperationDefinitionNode,
  type TypeDefinitionNode,
} from 'graphql';
import { SUBGRAPH_NAMES, type SubgraphName } from '../platform/config.js';

/** Ours: the subgraphs of this repository. Every other subgraph of a supergraph is a partner's. */
export const isOurSubgraph = (name: string): name is SubgraphName =>
  (SUBGRAPH_NAMES as readonly string[]).includes(name);

export interface JoinType {
  graph: string;
  key?: string;
  resolvable: boolean;
}

export interface JoinField {
  graph?: string;
  external: boolean;
  /** Federation directives recorded on the join (override, requires, provides, contextArguments). */
  uses: string[];
}

export interface SupergraphField {
  name: string;
  node: FieldDefinitionNode | InputValueDefinitionNode;
  joins: JoinField[];
}

export interface SupergraphType {
  name: string;
  kind: TypeDefinitionNode['kind'];
  joins: JoinType[];
  fields: SupergraphField[];
}

export interface SupergraphModel {
  /** Enum value of `join__Graph` → subgraph name. */
  graphs: Map<string, string>;
  rootTypes: Set<string>;
  types: SupergraphType[];
}

export interface OwnershipViolation {
  subgraph: string;
  /** Schema coordinate, e.g. `Station.name`. */
  coordinate: string;
  message: string;
}

/** Reads the join information of a supergraph (types, the subgraphs defining them, their keys and fields). */
export function readSupergraph(supergraph: string | DocumentNode): SupergraphModel {
  const document = typeof supergraph === 'string' ? parse(supergraph) : supergraph;
  const graphs = new Map<string, string>();
  const rootTypes = new Set(['Query', 'Mutation', 'Subscription']);
  const definitions: TypeDefinitionNode[] = [];
  for (const definition of document.definitions) {
    if (definition.kind === Kind.SCHEMA_DEFINITION) {
      rootTypes.clear();
      for (const operation of definition.operationTypes) rootTypes.add(operation.type.name.value);
    } else if (definition.kind === Kind.ENUM_TYPE_DEFINITION && definition.name.value === 'join__Graph') {
      for (const value of definition.values ?? []) {
        const name = stringArg(
          value.directives?.find((d) => d.name.value === 'join__graph'),
          'name',
        );
        if (name) graphs.set(value.name.value, name);
      }
    } else if (isTypeDefinition(definition) && !/^(join|link)__/.test(definition.name.value)) {
      definitions.push(definition);
    }
  }
  const graphName = (directive: ConstDirectiveNode) => {
    const value = argument(directive, 'graph');
    return value?.kind === Kind.ENUM ? (graphs.get(value.value) ?? value.value) : undefined;
  };
  const types = definitions.map((definition): SupergraphType => {
    const joins = (definition.directives ?? [])
      .filter((d) => d.name.value === 'join__type')
      .map((d) => ({
        graph: graphName(d) ?? '',
        key: stringArg(d, 'key'),
        resolvable: booleanArg(d, 'resolvable') ?? true,
      }));
    const fieldNodes: ReadonlyArray<FieldDefinitionNode | InputValueDefinitionNode> =
      'fields' in definition && definition.fields ? definition.fields : [];
    const fields = fieldNodes.map((node) => ({
      name: node.name.value,
      node,
      joins: (node.directives ?? [])
        .filter((d) => d.name.value === 'join__field')
        .map((d) => ({
          graph: graphName(d),
          external: booleanArg(d, 'external') ?? false,
          uses: ['override', 'requires', 'provides', 'contextArguments'].filter(
            (name) => argument(d, name) && argument(d, name)?.kind !== Kind.NULL,
          ),
        })),
    }));
    return { name: definition.name.value, kind: definition.kind, joins, fields };
  });
  return { graphs, rootTypes, types };
}

/** The subgraphs that resolve a field themselves (not as `@external`). No `@join__field` = every subgraph of its type. */
export function fieldDefiners(type: SupergraphType, field: SupergraphField): string[] {
  if (field.joins.length === 0) return type.joins.map((j) => j.graph);
  return field.joins.flatMap((j) => (j.graph && !j.external ? [j.graph] : []));
}

/** Top-level field names of a key's field set (`"id"`, `"id region { code }"` → id, region). */
export function keyFieldNames(key: string): string[] {
  const operation = parse(`{ ${key} }`).definitions[0] as OperationDefinitionNode;
  return operation.selectionSet.selections.flatMap((s) => (s.kind === Kind.FIELD ? [s.name.value] : []));
}

/** A key's field set written one way, so `"id"` and `" id "` compare equal. */
export const normalizeKey = (key: string) =>
  print(parse(`{ ${key} }`))
    .replace(/\s+/g, ' ')
    .trim()
    .slice(1, -1)
    .trim();

/**
 * The partner rules, checked on a composed supergraph:
 * - a partner may extend one of our types only if it is an entity, and only by a key we publish;
 * - it may not redefine our value types, enums, inputs, unions or interfaces (their definitions merge, so a
 *   partner's copy could add enum values to ours or drop input fields);
 * - no field on our types (root fields included) may be resolved by a partner and anyone else, key fields aside;
 * - no `@override`, `@requires`, `@provides` or `@fromContext` from a partner (taking over our fields, making the
 *   gateway send our data to the partner, or answering our fields on its own paths);
 * - what a partner adds to our types must be nullable: a partner outage then yields null, not a missing Station.
 */
export function ownershipViolations(
  supergraph: string | DocumentNode | SupergraphModel,
  isOurs: (subgraph: string) => boolean,
): OwnershipViolation[] {
  const model = typeof supergraph !== 'string' && 'types' in supergraph ? supergraph : readSupergraph(supergraph);
  const violations: OwnershipViolation[] = [];
  const refuse = (subgraph: string, coordinate: string, message: string) =>
    violations.push({ subgraph, coordinate, message });

  for (const type of model.types) {
    const ours = type.joins.filter((j) => isOurs(j.graph));
    const partners = type.joins.filter((j) => !isOurs(j.graph));
    const isRoot = model.rootTypes.has(type.name);
    const ourKeys = new Map(ours.flatMap((j) => (j.key === undefined ? [] : [[normalizeKey(j.key), j.key] as const])));
    const keyFields = new Set([...ourKeys.values()].flatMap(keyFieldNames));

    if (ours.length > 0 && !isRoot && type.kind !== Kind.SCALAR_TYPE_DEFINITION) {
      for (const partner of partners) {
        if (
          ourKeys.size === 0 ||
          (type.kind !== Kind.OBJECT_TYPE_DEFINITION && type.kind !== Kind.INTERFACE_TYPE_DEFINITION)
        ) {
          refuse(
            partner.graph,
            type.name,
            `ChargeGraph's type, not an entity: partner "${partner.graph}" may not redefine it; define a type of its own.`,
          );
        } else if (partner.key === undefined || !ourKeys.has(normalizeKey(partner.key))) {
          const published = [...ourKeys.values()].map((k) => `@key(fields: "${k}")`).join(' or ');
          refuse(
            partner.graph,
            type.name,
            `partner "${partner.graph}" must extend it by a key ChargeGraph publishes (${published}), not ${partner.key === undefined ? 'without a key' : `@key(fields: "${partner.key}")`}.`,
          );
        }
      }
    }

    for (const field of type.fields) {
      const coordinate = `${type.name}.${field.name}`;
      for (const join of field.joins) {
        if (!join.graph || isOurs(join.graph)) continue;
        for (const used of join.uses) {
          const directive = used === 'contextArguments' ? '@fromContext' : `@${used}`;
          refuse(
            join.graph,
            coordinate,
            `partner "${join.graph}" may not use ${directive}: ${WHY_NOT[used] ?? 'it is reserved for ChargeGraph'}.`,
          );
        }
      }
      if (ours.length === 0) continue;
      const definers = fieldDefiners(type, field);
      const partnerDefiners = definers.filter((g) => !isOurs(g));
      if (partnerDefiners.length === 0 || (!isRoot && keyFields.has(field.name))) continue;
      for (const partner of partnerDefiners) {
        const others = definers.filter((g) => g !== partner);
        if (others.length > 0) {
          const owners = others.map((g) => (isOurs(g) ? g : `partner "${g}"`)).join(', ');
          refuse(
            partner,
            coordinate,
            `already resolved by ${owners}: partner "${partner}" may not define, take over or shadow it; add a field of its own instead.`,
          );
        } else if (
          !isRoot &&
          field.node.type.kind === Kind.NON_NULL_TYPE &&
          !field.joins.some((j) => j.graph === partner && j.uses.length)
        ) {
          refuse(
            partner,
            coordinate,
            `partner fields on ChargeGraph types must be nullable (${print(field.node.type.type)}, not ${print(field.node.type)}): when "${partner}" fails, the field becomes null instead of taking the ${type.name} out of our answers.`,
          );
        }
      }
    }
  }
  return violations;
}

const WHY_NOT: Record<string, string> = {
  override: 'it takes over a field another subgraph resolves',
  requires: 'it makes the gateway send ChargeGraph data to the partner',
  provides: 'it lets the partner answer fields of types it does not own',
  contextArguments: 'it makes the gateway send ChargeGraph data to the partner',
};

const TYPE_KINDS = new Set<string>([
  Kind.OBJECT_TYPE_DEFINITION,
  Kind.INTERFACE_TYPE_DEFINITION,
  Kind.UNION_TYPE_DEFINITION,
  Kind.ENUM_TYPE_DEFINITION,
  Kind.INPUT_OBJECT_TYPE_DEFINITION,
  Kind.SCALAR_TYPE_DEFINITION,
]);
const isTypeDefinition = (definition: DefinitionNode): definition is TypeDefinitionNode =>
  TYPE_KINDS.has(definition.kind);

const argument = (directive: ConstDirectiveNode | undefined, name: string): ConstValueNode | undefined =>
  directive?.arguments?.find((a) => a.name.value === name)?.value;

function stringArg(directive: ConstDirectiveNode | undefined, name: string): string | undefined {
  const value = argument(directive, name);
  return value?.kind === Kind.STRING ? value.value : undefined;
}

function booleanArg(directive: ConstDirectiveNode | undefined, name: string): boolean | undefined {
  const value = argument(directive, name);
  return value?.kind === Kind.BOOLEAN ? value.value : undefined;
}
