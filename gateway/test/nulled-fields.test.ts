import { describe, expect, it } from 'vitest';
import { errorsForFailedCall } from '../nulled-fields.js';

const error = { message: 'down', extensions: { code: 'UPSTREAM_UNAVAILABLE' } };
const paths = (query: string, variables?: Record<string, unknown>) =>
  errorsForFailedCall({ request: { query, variables } }, error).map((e) => e.path);

describe('the fields a failed subgraph call was to fill', () => {
  it('names each root field by its response key', () => {
    expect(
      paths('query Q { list: stations(first: 1) { edges { cursor } } __typename operator(id: "1") { id } }'),
    ).toEqual([['list'], ['operator']]);
  });

  it('names each field of each entity, by the type of its representation, through fragments', () => {
    const query = `query ($representations: [_Any!]!) { _entities(representations: $representations) {
      ... on Station { reviews { text } } ...OperatorFields } }
      fragment OperatorFields on Operator { rating r2: rating __typename }`;
    const representations = [
      { __typename: 'Station', id: 's1' },
      { __typename: 'Operator', id: 'o1' },
      { __typename: 'Station', id: 's2' },
    ];
    expect(paths(query, { representations })).toEqual([
      ['_entities', 0, 'reviews'],
      ['_entities', 1, 'rating'],
      ['_entities', 1, 'r2'],
      ['_entities', 2, 'reviews'],
    ]);
  });

  it('keeps one error without a path when it cannot tell (no query, or one that does not parse)', () => {
    expect(errorsForFailedCall({ request: {} }, error)).toEqual([error]);
    expect(errorsForFailedCall({ request: { query: '{' } }, error)).toEqual([error]);
  });
});
