import { ArgsType, Directive, Field, Int, ObjectType, type ClassType } from 'type-graphql';
import { Max, Min } from 'class-validator';
import { badInput } from '../errors.js';
import { INHERIT_MAX_AGE } from './cache-control.js';

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

@ArgsType()
export class PageArgs {
  @Field(() => Int, { defaultValue: DEFAULT_PAGE_SIZE, description: `Page size, 1 to ${MAX_PAGE_SIZE}.` })
  @Min(1)
  @Max(MAX_PAGE_SIZE)
  first: number = DEFAULT_PAGE_SIZE;

  @Field(() => String, { nullable: true, description: 'Cursor of the last edge of the previous page.' })
  after?: string;
}

@ObjectType({ description: 'Relay page information.' })
@Directive('@shareable')
@Directive(INHERIT_MAX_AGE)
export class PageInfo {
  @Field(() => Boolean)
  hasNextPage!: boolean;

  @Field(() => String, { nullable: true })
  endCursor?: string;
}

export interface Edge<T> {
  cursor: string;
  node: T;
}

export interface Connection<T> {
  edges: Edge<T>[];
  pageInfo: PageInfo;
}

/** Builds `<Name>Edge` and `<Name>Connection` GraphQL types for a node type. */
export function ConnectionType<T extends object>(nodeType: ClassType<T>, name: string) {
  @ObjectType(`${name}Edge`)
  @Directive(INHERIT_MAX_AGE)
  class EdgeType implements Edge<T> {
    @Field(() => String)
    cursor!: string;

    @Field(() => nodeType)
    node!: T;
  }

  @ObjectType(`${name}Connection`, { description: `A page of ${name} objects.` })
  @Directive(INHERIT_MAX_AGE)
  class ConnectionClass implements Connection<T> {
    @Field(() => [EdgeType])
    edges!: EdgeType[];

    @Field(() => PageInfo)
    pageInfo!: PageInfo;
  }
  return ConnectionClass;
}

/** Opaque cursor over ids that sort in creation order (UUIDv7). */
export const encodeCursor = (id: string) => Buffer.from(`v1:${id}`).toString('base64url');

export function decodeCursor(cursor: string): string {
  const decoded = Buffer.from(cursor, 'base64url').toString('utf8');
  const match = /^v1:([0-9a-f-]{36})$/.exec(decoded);
  if (!match) throw badInput('The cursor is malformed; use an endCursor from a previous page.', 'after');
  return match[1];
}

/** Turns `first + 1` rows, fetched in cursor order, into a page. */
export function toConnection<T extends { id: string }>(rows: T[], first: number): Connection<T> {
  const page = rows.slice(0, first);
  return {
    edges: page.map((node) => ({ cursor: encodeCursor(node.id), node })),
    pageInfo: Object.assign(new PageInfo(), {
      hasNextPage: rows.length > first,
      endCursor: page.length ? encodeCursor(page[page.length - 1].id) : undefined,
    }),
  };
}
