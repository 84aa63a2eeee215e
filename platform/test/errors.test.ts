import net from 'node:net';
import { MikroORM } from '@mikro-orm/core';
import { PostgreSqlDriver } from '@mikro-orm/postgresql';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createErrorFormatter, DomainError, ErrorCode } from '../errors.js';
import { subgraphLowerLayerErrors } from '../subgraph/subgraph-errors.js';

const format = createErrorFormatter(pino({ level: 'silent' }), subgraphLowerLayerErrors);
const asResolverError = (error: Error) =>
  new GraphQLError(error.message, { originalError: error, path: ['operators'] });
const formatted = (error: GraphQLError): GraphQLFormattedError => format(error.toJSON(), error);

/** A port nothing listens on: a database that is down. */
let closedPort: number;
beforeAll(async () => {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  closedPort = (probe.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
});

let orm: MikroORM<PostgreSqlDriver> | undefined;
afterAll(() => orm?.close(true));

describe('error formatter', () => {
  it('answers SERVICE_UNAVAILABLE, with no internals, when the database cannot be reached', async () => {
    orm = await MikroORM.init<PostgreSqlDriver>({
      driver: PostgreSqlDriver,
      clientUrl: `postgres://postgres@127.0.0.1:${closedPort}/nowhere`,
      entities: [],
      discovery: { warnWhenNoEntities: false },
      connect: false,
      pool: { min: 0, max: 1, acquireTimeoutMillis: 2_000 },
    });
    const failure = await orm.em
      .fork()
      .execute('select 1')
      .then(
        () => undefined,
        (error: Error) => error,
      );
    expect(failure).toBeInstanceOf(Error);
    const answer = formatted(asResolverError(failure!));
    expect(answer.extensions).toEqual({ code: ErrorCode.SERVICE_UNAVAILABLE });
    expect(answer.message).toBe('The service cannot reach its database right now; try again shortly.');
    expect(JSON.stringify(answer)).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|knex|postgres/i);
  });

  it('recognises a server shutting down (SQLSTATE 57P01) behind a wrapping error', () => {
    const shutdown = Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' });
    const wrapped = new Error('select failed', { cause: shutdown });
    expect(formatted(asResolverError(wrapped)).extensions?.code).toBe(ErrorCode.SERVICE_UNAVAILABLE);
  });

  it('still masks any other failure as INTERNAL_SERVER_ERROR and keeps client codes', () => {
    const masked = formatted(
      asResolverError(Object.assign(new Error('relation "x" does not exist'), { code: '42P01' })),
    );
    expect(masked).toMatchObject({
      message: 'Internal server error.',
      extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR },
    });
    const domain = new DomainError(ErrorCode.NOT_FOUND, 'Operator 1 was not found.');
    expect(formatted(domain)).toMatchObject({
      message: 'Operator 1 was not found.',
      extensions: { code: ErrorCode.NOT_FOUND },
    });
  });
});
