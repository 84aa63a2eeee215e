import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Role } from '../../../platform/identity.js';
import { createTestSubgraph, type TestSubgraph } from '../../../test/support/subgraph.js';
import { Operator } from '../operator/operator.entity.js';
import { operatorSubgraph } from '../index.js';

const admin = { role: Role.PLATFORM_ADMIN, sub: 'admin-1' };
const driver = { role: Role.DRIVER, sub: 'driver-1' };

const CREATE = `mutation ($input: CreateOperatorInput!) { createOperator(input: $input) { id name country defaultCurrency contactEmail status createdAt } }`;
const input = (name: string, extra: Record<string, unknown> = {}) => ({
  name,
  country: 'DE',
  defaultCurrency: 'EUR',
  contactEmail: 'ops@example.com',
  ...extra,
});

let subgraph: TestSubgraph;
beforeAll(async () => {
  subgraph = await createTestSubgraph(operatorSubgraph);
});
afterAll(() => subgraph.destroy());

const countOperators = () => subgraph.orm.em.fork().count(Operator, {});

describe('operator subgraph', () => {
  it('lets a platform admin create an operator', async () => {
    const { data, errors } = await subgraph.run<{ createOperator: Record<string, unknown> }>(
      CREATE,
      { input: input('Voltia') },
      admin,
    );
    expect(errors).toBeUndefined();
    expect(data?.createOperator).toMatchObject({
      name: 'Voltia',
      country: 'DE',
      defaultCurrency: 'EUR',
      status: 'ACTIVE',
    });
    expect(data?.createOperator.id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it.each([
    ['anonymous', {}, 'UNAUTHENTICATED'],
    ['a driver', driver, 'FORBIDDEN'],
    ['an operator admin', { role: Role.OPERATOR_ADMIN, operatorId: 'x' }, 'FORBIDDEN'],
  ])('refuses operator creation by %s and writes nothing', async (_who, identity, code) => {
    const before = await countOperators();
    const { data, errors } = await subgraph.run(CREATE, { input: input('Nope') }, identity);
    expect(data).toBeNull();
    expect(errors?.[0].extensions?.code).toBe(code);
    expect(await countOperators()).toBe(before);
  });

  it.each([
    ['an unknown country', { country: 'XX' }, 'country'],
    ['a lower-case country', { country: 'de' }, 'country'],
    ['an unknown currency', { defaultCurrency: 'EUX' }, 'defaultCurrency'],
    ['an invalid email', { contactEmail: 'not-an-email' }, 'contactEmail'],
    ['an empty name', { name: '' }, 'name'],
  ])('rejects %s with BAD_USER_INPUT and writes nothing', async (_case, override, field) => {
    const before = await countOperators();
    const { errors } = await subgraph.run(CREATE, { input: { ...input('Bad'), ...override } }, admin);
    expect(errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', fields: [field] });
    expect(errors?.[0].message).toMatch(/^Invalid input: /);
    expect(await countOperators()).toBe(before);
  });

  it('pages through operators with opaque cursors', async () => {
    for (const name of ['Page A', 'Page B', 'Page C']) await subgraph.run(CREATE, { input: input(name) }, admin);
    const total = await countOperators();
    const PAGE = `query ($after: String) { operators(first: 2, after: $after) { edges { cursor node { name } } pageInfo { hasNextPage endCursor } } }`;
    type Page = {
      operators: { edges: Array<{ node: { name: string } }>; pageInfo: { hasNextPage: boolean; endCursor: string } };
    };
    const names: string[] = [];
    let after: string | undefined;
    for (let i = 0; i < 10; i++) {
      const { data } = await subgraph.run<Page>(PAGE, { after });
      names.push(...data!.operators.edges.map((e) => e.node.name));
      if (!data!.operators.pageInfo.hasNextPage) break;
      after = data!.operators.pageInfo.endCursor;
    }
    expect(names).toHaveLength(total);
    expect(new Set(names).size).toBe(total);
  });

  it('rejects a malformed cursor and an oversized page', async () => {
    const bad = await subgraph.run(`{ operators(after: "bogus") { edges { cursor } } }`);
    expect(bad.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    const huge = await subgraph.run(`{ operators(first: 1000) { edges { cursor } } }`);
    expect(huge.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
  });

  it.each(['0190f0f0-0000-7000-8000-000000000000', 'not-a-uuid'])(
    'answers NOT_FOUND for the unknown id %s',
    async (id) => {
      const { errors } = await subgraph.run(`query ($id: ID!) { operator(id: $id) { id } }`, { id });
      expect(errors?.[0].extensions?.code).toBe('NOT_FOUND');
    },
  );

  it("lets only the operator's own admin update it, and not its status", async () => {
    const { data } = await subgraph.run<{ createOperator: { id: string } }>(CREATE, { input: input('Owned') }, admin);
    const id = data!.createOperator.id;
    const UPDATE = `mutation ($id: ID!, $input: UpdateOperatorInput!) { updateOperator(id: $id, input: $input) { name status } }`;
    const own = { role: Role.OPERATOR_ADMIN, sub: 'a', operatorId: id };
    const other = { role: Role.OPERATOR_ADMIN, sub: 'b', operatorId: 'another-operator' };

    const ok = await subgraph.run(UPDATE, { id, input: { name: 'Owned & Renamed' } }, own);
    expect(ok.data).toEqual({ updateOperator: { name: 'Owned & Renamed', status: 'ACTIVE' } });
    const foreign = await subgraph.run(UPDATE, { id, input: { name: 'Hijacked' } }, other);
    expect(foreign.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    const status = await subgraph.run(UPDATE, { id, input: { status: 'SUSPENDED' } }, own);
    expect(status.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    const suspended = await subgraph.run(UPDATE, { id, input: { status: 'SUSPENDED' } }, admin);
    expect(suspended.data).toEqual({ updateOperator: { name: 'Owned & Renamed', status: 'SUSPENDED' } });
  });

  it('is pre-paid by default; its own admin and platform admins switch postPaid, nobody else', async () => {
    const { data } = await subgraph.run<{ createOperator: { id: string } }>(CREATE, { input: input('Later') }, admin);
    const id = data!.createOperator.id;
    const READ = `query ($id: ID!) { operator(id: $id) { postPaid } }`;
    expect((await subgraph.run(READ, { id })).data).toEqual({ operator: { postPaid: false } });
    const UPDATE = `mutation ($id: ID!, $input: UpdateOperatorInput!) { updateOperator(id: $id, input: $input) { name postPaid } }`;
    const own = { role: Role.OPERATOR_ADMIN, sub: 'a', operatorId: id };
    const other = { role: Role.OPERATOR_ADMIN, sub: 'b', operatorId: '0190f0f0-0000-7000-8000-000000000000' };

    const byOwn = await subgraph.run(UPDATE, { id, input: { postPaid: true } }, own);
    expect(byOwn).toEqual({ data: { updateOperator: { name: 'Later', postPaid: true } } });
    for (const [identity, code] of [
      [other, 'FORBIDDEN'],
      [driver, 'FORBIDDEN'],
      [{}, 'UNAUTHENTICATED'],
    ] as const) {
      const refused = await subgraph.run(UPDATE, { id, input: { postPaid: false } }, identity);
      expect(refused.errors?.[0].extensions?.code).toBe(code);
    }
    // Left out (or null): unchanged.
    const renamed = await subgraph.run(UPDATE, { id, input: { name: 'Later Ltd', postPaid: null } }, own);
    expect(renamed.data).toEqual({ updateOperator: { name: 'Later Ltd', postPaid: true } });
    const byPlatform = await subgraph.run(UPDATE, { id, input: { postPaid: false } }, admin);
    expect(byPlatform.data).toEqual({ updateOperator: { name: 'Later Ltd', postPaid: false } });
    const row = await subgraph.orm.em.fork().findOneOrFail(Operator, { id });
    expect(row.postPaid).toBe(false);
  });

  it('resolves operators by federation key', async () => {
    const { data } = await subgraph.run<{ createOperator: { id: string } }>(CREATE, { input: input('Entity') }, admin);
    const id = data!.createOperator.id;
    const result = await subgraph.run(
      `query ($r: [_Any!]!) { _entities(representations: $r) { ... on Operator { id name } } }`,
      {
        r: [
          { __typename: 'Operator', id },
          { __typename: 'Operator', id: '0190f0f0-0000-7000-8000-000000000000' },
        ],
      },
    );
    expect(result.errors).toBeUndefined();
    expect(result.data).toEqual({ _entities: [{ id, name: 'Entity' }, null] });
  });
});
