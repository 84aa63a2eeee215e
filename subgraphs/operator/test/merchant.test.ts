import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Role } from '../../../platform/identity.js';
import { createTestSubgraph, type TestSubgraph } from '../../../test/support/subgraph.js';
import { operatorSubgraph } from '../index.js';

/* The merchant of record on receipts: legal name, address and VAT id, set by the operator's admin, validated. */

const admin = { role: Role.PLATFORM_ADMIN, sub: 'admin-1' };
const adminOf = (operatorId: string) => ({ role: Role.OPERATOR_ADMIN, sub: `admin-of-${operatorId}`, operatorId });

const CREATE = `mutation ($input: CreateOperatorInput!) { createOperator(input: $input) { id legalName legalAddress vatId } }`;
const UPDATE = `mutation ($id: ID!, $input: UpdateOperatorInput!) { updateOperator(id: $id, input: $input) { id name legalName legalAddress vatId } }`;
const GET = `query ($id: ID!) { operator(id: $id) { legalName legalAddress vatId } }`;

type Merchant = { legalName: string | null; legalAddress: string | null; vatId: string | null };

let subgraph: TestSubgraph;
let operatorId: string;
beforeAll(async () => {
  subgraph = await createTestSubgraph(operatorSubgraph);
  const created = await subgraph.run<{ createOperator: { id: string } & Merchant }>(
    CREATE,
    { input: { name: 'Voltia', country: 'DE', defaultCurrency: 'EUR', contactEmail: 'ops@example.com' } },
    admin,
  );
  expect(created.errors).toBeUndefined();
  operatorId = created.data!.createOperator.id;
  expect(created.data!.createOperator).toMatchObject({ legalName: null, legalAddress: null, vatId: null });
});
afterAll(() => subgraph.destroy());

describe('operator merchant details', () => {
  it("are set by the operator's own admin and read back", async () => {
    const merchant = {
      legalName: 'Voltia GmbH',
      legalAddress: 'Hauptstraße 1, 10115 Berlin, DE',
      vatId: 'DE123456789',
    };
    const { data, errors } = await subgraph.run<{ updateOperator: Merchant }>(
      UPDATE,
      { id: operatorId, input: merchant },
      adminOf(operatorId),
    );
    expect(errors).toBeUndefined();
    expect(data?.updateOperator).toMatchObject({ name: 'Voltia', ...merchant });
    const read = await subgraph.run<{ operator: Merchant }>(GET, { id: operatorId }, {});
    expect(read.data?.operator).toEqual(merchant);
  });

  it('may be set at creation by a platform admin', async () => {
    const { data, errors } = await subgraph.run<{ createOperator: Merchant }>(
      CREATE,
      {
        input: {
          name: 'Charge France',
          country: 'FR',
          defaultCurrency: 'EUR',
          contactEmail: 'ops@example.fr',
          legalName: 'Charge France SAS',
          legalAddress: '1 rue de la Paix, 75002 Paris, FR',
          vatId: 'FR40303265045',
        },
      },
      admin,
    );
    expect(errors).toBeUndefined();
    expect(data?.createOperator).toMatchObject({ legalName: 'Charge France SAS', vatId: 'FR40303265045' });
  });

  it.each([
    ['a VAT id without country prefix', { vatId: '123456789' }, 'vatId'],
    ['a VAT id with a wrong German length', { vatId: 'DE12345678' }, 'vatId'],
    ['a lower-case VAT id', { vatId: 'de123456789' }, 'vatId'],
    ['a VAT id of no country', { vatId: 'XX123456789' }, 'vatId'],
    ['an empty legal name', { legalName: '' }, 'legalName'],
    ['a legal name with a line break', { legalName: 'Voltia\nGmbH' }, 'legalName'],
    ['a legal name with a bidi override', { legalName: 'Voltia \u202eHbmG' }, 'legalName'],
    ['a too short address', { legalAddress: 'DE' }, 'legalAddress'],
    ['an over-long address', { legalAddress: 'x'.repeat(501) }, 'legalAddress'],
  ])('refuses %s with BAD_USER_INPUT naming the field, and changes nothing', async (_case, input, field) => {
    const before = await subgraph.run<{ operator: Merchant }>(GET, { id: operatorId }, {});
    const { data, errors } = await subgraph.run(UPDATE, { id: operatorId, input }, adminOf(operatorId));
    expect(data).toBeNull();
    expect(errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', fields: [field] });
    expect(errors?.[0].message).toMatch(new RegExp(`^Invalid input: ${field} must`));
    const after = await subgraph.run<{ operator: Merchant }>(GET, { id: operatorId }, {});
    expect(after.data).toEqual(before.data);
  });

  it("refuses another operator's admin and a driver", async () => {
    const input = { vatId: 'DE987654321' };
    const other = await subgraph.run(UPDATE, { id: operatorId, input }, adminOf('someone-else'));
    expect(other.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    const driver = await subgraph.run(UPDATE, { id: operatorId, input }, { role: Role.DRIVER, sub: 'd-1' });
    expect(driver.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    const read = await subgraph.run<{ operator: Merchant }>(GET, { id: operatorId }, {});
    expect(read.data?.operator.vatId).toBe('DE123456789');
  });
});
