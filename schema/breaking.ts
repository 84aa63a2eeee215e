/**
 * Changes between the published contract and a candidate supergraph, as clients and partners see them: the API
 * schema (graphql-inspector's diff) and the entity keys partners extend (which the API schema does not show).
 */
import { Supergraph } from '@apollo/federation-internals';
import { CriticalityLevel, diff } from '@graphql-inspector/core';
import { isEnumType, isInputObjectType, isInterfaceType, isObjectType, type GraphQLSchema } from 'graphql';
import { normalizeKey, readSupergraph } from './ownership.js';

export type ChangeLevel = 'breaking' | 'dangerous' | 'safe';

export interface ContractChange {
  level: ChangeLevel;
  /** Schema coordinate when there is one (`Station.name`). */
  path?: string;
  message: string;
}

export interface ChangeOptions {
  /** Whose keys count as published (our subgraphs). */
  isOurs: (subgraph: string) => boolean;
  /** For the deprecation policy's dates; default now. */
  today?: Date;
}

/** The client-facing schema of a supergraph (no join directives, no @inaccessible parts). */
export const apiSchema = (supergraphSdl: string): GraphQLSchema =>
  Supergraph.build(supergraphSdl).apiSchema().toGraphQLJSSchema();

/**
 * Every change from `published` to `candidate`. Breaking: removed or renamed fields, types, arguments and enum values,
 * inputs made stricter, outputs made looser, keys withdrawn. A field or enum value deprecated with
 * "Removal after YYYY-MM-DD." may go once that date has passed (see schema/README.md, deprecation policy).
 */
export async function contractChanges(
  published: string,
  candidate: string,
  { isOurs, today = new Date() }: ChangeOptions,
): Promise<ContractChange[]> {
  const before = apiSchema(published);
  const changes = (await diff(before, apiSchema(candidate))).map((change): ContractChange => {
    const level = LEVELS[change.criticality.level];
    const removalDue =
      level === 'breaking' && change.path !== undefined && removalAnnouncedBefore(before, change.path, today);
    return removalDue
      ? {
          level: 'dangerous',
          path: change.path,
          message: `${change.message} (deprecated with a removal date that has passed)`,
        }
      : { level, path: change.path, message: change.message };
  });
  return [...changes, ...keyChanges(published, candidate, isOurs)];
}

const LEVELS: Record<CriticalityLevel, ChangeLevel> = {
  [CriticalityLevel.Breaking]: 'breaking',
  [CriticalityLevel.Dangerous]: 'dangerous',
  [CriticalityLevel.NonBreaking]: 'safe',
};

/** Keys our subgraphs offer per entity; a key withdrawn breaks every partner that extends the entity by it. */
function keyChanges(published: string, candidate: string, isOurs: (subgraph: string) => boolean): ContractChange[] {
  const before = publishedKeys(published, isOurs);
  const after = publishedKeys(candidate, isOurs);
  return [
    ...[...before]
      .filter(([key]) => !after.has(key))
      .map(([key, type]): ContractChange => ({
        level: 'breaking',
        path: type,
        message: `Key ${key} was withdrawn; partners extend ${type} by it`,
      })),
    ...[...after]
      .filter(([key]) => !before.has(key))
      .map(([key, type]): ContractChange => ({ level: 'safe', path: type, message: `Key ${key} was added` })),
  ];
}

/** `Station @key(fields: "id") in station` → `Station`, for every resolvable key of our subgraphs. */
function publishedKeys(supergraphSdl: string, isOurs: (subgraph: string) => boolean): Map<string, string> {
  const keys = new Map<string, string>();
  for (const type of readSupergraph(supergraphSdl).types) {
    for (const join of type.joins) {
      if (isOurs(join.graph) && join.key !== undefined && join.resolvable)
        keys.set(`${type.name} @key(fields: "${normalizeKey(join.key)}") in ${join.graph}`, type.name);
    }
  }
  return keys;
}

const REMOVAL_DATE = /removal after (\d{4}-\d{2}-\d{2})/i;

/** Whether the element at `path` (Type.field or Enum.VALUE) was deprecated with a removal date before `today`. */
function removalAnnouncedBefore(schema: GraphQLSchema, path: string, today: Date): boolean {
  const [typeName, member] = path.split('.');
  const type = schema.getType(typeName);
  if (!type || !member) return false;
  let reason: string | null | undefined;
  if (isObjectType(type) || isInterfaceType(type) || isInputObjectType(type))
    reason = type.getFields()[member]?.deprecationReason;
  else if (isEnumType(type)) reason = type.getValue(member)?.deprecationReason;
  const date = reason ? REMOVAL_DATE.exec(reason)?.[1] : undefined;
  return date !== undefined && new Date(`${date}T00:00:00Z`) <= today;
}
