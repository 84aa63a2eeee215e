import { createHmac } from 'node:crypto';
import { SignJWT } from 'jose';
import type { SubgraphName } from '../../platform/config.js';
import { IDENTITY_HEADER, Role, signIdentity } from '../../platform/identity.js';
import { EMULATOR_CONNECT_WEBHOOK_SECRET, EMULATOR_WEBHOOK_SECRET } from '../../subgraphs/payment/config.js';
import { http, probe, type Fixtures, type Probe } from './support.js';

/*
 * Forged credentials: client JWTs at the gateway, identity signatures straight to each subgraph, provider webhook
 * signatures at the payment subgraph. Every one is refused before anything is read or written.
 */

const encoder = new TextEncoder();
const b64 = (value: unknown) =>
  Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
const now = () => Math.floor(Date.now() / 1000);

/** What every forged client token tries: the platform's most privileged mutation (and a private read). */
const PRIVILEGED = `mutation ($input: SetOperatorFeePolicyInput!) { setOperatorFeePolicy(input: $input) { feePolicy { basisPoints } } }`;

async function hs(
  claims: Record<string, unknown>,
  secret: string,
  options: { alg?: string; header?: Record<string, unknown>; exp?: number | string; nbf?: number } = {},
): Promise<string> {
  const jwt = new SignJWT(claims).setProtectedHeader({ alg: options.alg ?? 'HS256', ...options.header }).setIssuedAt();
  if (options.exp !== undefined) jwt.setExpirationTime(options.exp);
  else jwt.setExpirationTime('1h');
  if (options.nbf !== undefined) jwt.setNotBefore(options.nbf);
  return jwt.sign(encoder.encode(secret));
}

const unsigned = (claims: Record<string, unknown>, header: Record<string, unknown> = { alg: 'none', typ: 'JWT' }) =>
  `${b64(header)}.${b64({ iat: now(), exp: now() + 3600, ...claims })}.`;

const admin = { role: Role.PLATFORM_ADMIN, sub: 'mallory' };

type TokenMaker = (f: Fixtures) => Promise<string> | string;

/** Authorization headers that must all be refused with 401 UNAUTHENTICATED. */
const FORGED_TOKENS: Array<[string, TokenMaker]> = [
  ['signed with another secret', () => hs(admin, 'not-the-secret-but-long-enough-to-be-one-0000')],
  ['expired', (f) => hs(admin, f.p.stack.config.JWT_SECRET, { exp: now() - 60 })],
  ['not valid yet (nbf)', (f) => hs(admin, f.p.stack.config.JWT_SECRET, { nbf: now() + 3600 })],
  ['alg none', () => unsigned(admin)],
  ['alg none, upper case', () => unsigned(admin, { alg: 'NONE' })],
  [
    'alg none with a signature part',
    (f) => `${unsigned(admin)}${createHmac('sha256', f.p.stack.config.JWT_SECRET).update('x').digest('base64url')}`,
  ],
  ['HS512 with the right secret', (f) => hs(admin, f.p.stack.config.JWT_SECRET, { alg: 'HS512' })],
  ['HS384 with the right secret', (f) => hs(admin, f.p.stack.config.JWT_SECRET, { alg: 'HS384' })],
  [
    'RS256 header over an HMAC signature (algorithm confusion)',
    (f) => {
      const signingInput = `${b64({ alg: 'RS256', typ: 'JWT' })}.${b64({ ...admin, iat: now(), exp: now() + 3600 })}`;
      return `${signingInput}.${createHmac('sha256', f.p.stack.config.JWT_SECRET).update(signingInput).digest('base64url')}`;
    },
  ],
  [
    'jku header pointing elsewhere, wrong secret',
    () =>
      hs(admin, 'attacker-controlled-secret-0000000000000000', {
        header: { jku: 'http://127.0.0.1:1/jwks.json', kid: 'x' },
      }),
  ],
  ['role SERVICE', (f) => hs({ role: Role.SERVICE, sub: 'payment' }, f.p.stack.config.JWT_SECRET)],
  ['unknown role', (f) => hs({ role: 'ROOT', sub: 'mallory' }, f.p.stack.config.JWT_SECRET)],
  ['role in lower case', (f) => hs({ role: 'platform_admin', sub: 'mallory' }, f.p.stack.config.JWT_SECRET)],
  ['role as a list', (f) => hs({ role: [Role.PLATFORM_ADMIN], sub: 'mallory' }, f.p.stack.config.JWT_SECRET)],
  ['no role', (f) => hs({ sub: 'mallory' }, f.p.stack.config.JWT_SECRET)],
  ['no subject', (f) => hs({ role: Role.PLATFORM_ADMIN }, f.p.stack.config.JWT_SECRET)],
  [
    'OPERATOR_ADMIN without operatorId',
    (f) => hs({ role: Role.OPERATOR_ADMIN, sub: 'mallory' }, f.p.stack.config.JWT_SECRET),
  ],
  [
    'payload swapped under a valid signature',
    async (f) => {
      const [header, , signature] = (await f.p.stack.token(f.A.driver)).split('.');
      return `${header}.${b64({ ...admin, iat: now(), exp: now() + 3600 })}.${signature}`;
    },
  ],
  [
    'a subgraph identity token (signed with the subgraph secret)',
    (f) => signIdentity(admin, 'gateway', f.p.stack.config.signingSecrets[0], JSON.stringify({ query: PRIVILEGED })),
  ],
  ['garbage in three parts', () => 'abc.def.ghi'],
  ['one part', () => 'eyJhbGciOiJIUzI1NiJ9'],
  ['invalid base64 and JSON', () => '%%%.***.!!!'],
];

/** Authorization header values that are not a bearer token at all. */
const BAD_HEADERS: Array<[string, string]> = [
  ['Bearer without a token', 'Bearer'],
  ['Bearer with two tokens', 'Bearer a.b.c d.e.f'],
  ['Basic credentials', `Basic ${Buffer.from('admin:admin').toString('base64')}`],
  ['a bare token without scheme', 'eyJhbGciOiJub25lIn0.eyJyb2xlIjoiUExBVEZPUk1fQURNSU4ifQ.'],
];

function clientTokenProbes(): Probe[] {
  const send = (authorization: (f: Fixtures) => Promise<string> | string) => async (f: Fixtures) =>
    http(f.p.stack.gatewayUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: await authorization(f) },
      body: JSON.stringify({
        query: PRIVILEGED,
        variables: { input: { operatorId: f.A.operator.id, basisPoints: 9999 } },
      }),
    });
  return [
    ...FORGED_TOKENS.map(([name, token]) =>
      probe(
        `JWT ${name}`,
        send(async (f) => `Bearer ${await token(f)}`),
        { status: 401, code: 'UNAUTHENTICATED' },
      ),
    ),
    ...BAD_HEADERS.map(([name, value]) =>
      probe(
        `Authorization: ${name}`,
        send(() => value),
        { status: 401, code: 'UNAUTHENTICATED' },
      ),
    ),
  ];
}

/** Client tokens whose role names an Object.prototype member; refused once gateway/auth.ts checks own enum keys. */
export function prototypeRoleProbes(): Probe[] {
  return ['toString', 'constructor', '__proto__', 'hasOwnProperty'].map((role) =>
    probe(
      `JWT with role "${role}"`,
      async (f) =>
        http(f.p.stack.gatewayUrl, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            authorization: `Bearer ${await hs({ role, sub: 'mallory' }, f.p.stack.config.JWT_SECRET)}`,
          },
          body: JSON.stringify({ query: '{ chargingSessions { edges { node { id } } } }' }),
        }),
      { status: 401, code: 'UNAUTHENTICATED' },
    ),
  );
}

// ---- subgraph signatures ---------------------------------------------------------------------------------------

/** A privileged operation per subgraph, as a forged PLATFORM_ADMIN would send it. */
const SUBGRAPH_OPERATIONS: Record<
  SubgraphName,
  (f: Fixtures) => { query: string; variables?: Record<string, unknown> }
> = {
  operator: () => ({
    query: `mutation { createOperator(input: { name: "Forged", country: "DE", defaultCurrency: "EUR", contactEmail: "x@forged.example" }) { id } }`,
  }),
  station: (f) => ({
    query: `mutation ($id: ID!) { updateStation(id: $id, input: { name: "Forged" }) { id } }`,
    variables: { id: f.A.operator.stationId },
  }),
  session: () => ({ query: `{ chargingSessions(first: 50) { edges { node { id driverId } } } }` }),
  payment: (f) => ({
    query: `query ($r: [_Any!]!) { _entities(representations: $r) { ... on Operator { paymentAccount { id chargesEnabled } payments { edges { node { id } } } } } }`,
    variables: { r: [{ __typename: 'Operator', id: f.A.operator.id }] },
  }),
};

const AUDIENCE = 'chargegraph-subgraphs';
const identityClaims = { role: Role.PLATFORM_ADMIN, sub: 'mallory' };

/** Identity headers for `body` that must all be refused with 401 (undefined: no header at all). */
const FORGED_SIGNATURES: Array<
  [string, (f: Fixtures, body: string) => Promise<string | undefined> | string | undefined]
> = [
  ['no signature header', () => undefined],
  ['an empty signature header', () => ''],
  ['garbage', () => 'not-a-signature'],
  [
    'signed with another secret',
    (_f, body) => signIdentity(identityClaims, 'gateway', 'another-secret-that-is-long-enough-000000', body),
  ],
  [
    'signed for another body',
    (f) => signIdentity(identityClaims, 'gateway', f.p.stack.config.signingSecrets[0], '{"query":"{ __typename }"}'),
  ],
  [
    'right secret, without a token id or body hash',
    (f) =>
      new SignJWT(identityClaims)
        .setProtectedHeader({ alg: 'HS256' })
        .setAudience(AUDIENCE)
        .setIssuer('gateway')
        .setIssuedAt()
        .setExpirationTime('1m')
        .sign(encoder.encode(f.p.stack.config.signingSecrets[0])),
  ],
  [
    'expired',
    (f) =>
      new SignJWT(identityClaims)
        .setProtectedHeader({ alg: 'HS256' })
        .setAudience(AUDIENCE)
        .setIssuer('gateway')
        .setIssuedAt(now() - 600)
        .setExpirationTime(now() - 540)
        .sign(encoder.encode(f.p.stack.config.signingSecrets[0])),
  ],
  ['alg none', () => unsigned({ ...identityClaims, aud: AUDIENCE, iss: 'gateway' })],
  [
    'signed for another audience',
    (f) =>
      new SignJWT(identityClaims)
        .setProtectedHeader({ alg: 'HS256' })
        .setAudience('someone-else')
        .setIssuedAt()
        .setExpirationTime('1m')
        .sign(encoder.encode(f.p.stack.config.signingSecrets[0])),
  ],
  [
    'HS512 with the right secret',
    (f) =>
      new SignJWT(identityClaims)
        .setProtectedHeader({ alg: 'HS512' })
        .setAudience(AUDIENCE)
        .setIssuedAt()
        .setExpirationTime('1m')
        .sign(encoder.encode(f.p.stack.config.signingSecrets[0])),
  ],
  [
    'a client token (signed with the JWT secret)',
    (f) => f.p.stack.token({ role: Role.PLATFORM_ADMIN, sub: 'mallory' }),
  ],
];

function subgraphSignatureProbes(): Probe[] {
  const names: SubgraphName[] = ['operator', 'station', 'session', 'payment'];
  return names.flatMap((subgraph) =>
    FORGED_SIGNATURES.map(([name, signature]) =>
      probe(
        `${subgraph} subgraph: ${name}`,
        async (f) => {
          const body = JSON.stringify(SUBGRAPH_OPERATIONS[subgraph](f));
          const header = await signature(f, body);
          return http(f.p.stack.subgraphs[subgraph]!.url, {
            method: 'POST',
            headers: {
              'content-type': 'application/json',
              ...(header === undefined ? {} : { [IDENTITY_HEADER]: header }),
            },
            body,
          });
        },
        { status: 401, code: 'UNAUTHENTICATED' },
      ),
    ),
  );
}

/** Reads each subgraph serves a platform admin: sent once legitimately, then replayed. */
const REPLAYED_READS: Record<SubgraphName, (f: Fixtures) => { query: string; variables?: Record<string, unknown> }> = {
  ...SUBGRAPH_OPERATIONS,
  operator: () => ({ query: `{ operators(first: 10) { edges { node { id name } } } }` }),
  station: () => ({ query: `{ stations(first: 10) { edges { node { id name } } } }` }),
};

/**
 * A correctly signed call, captured and sent again (to the same subgraph: its replicas share the record of used
 * signatures in its database). The first send must be served, the second refused.
 */
function replayedSignatureProbes(): Probe[] {
  const names: SubgraphName[] = ['operator', 'station', 'session', 'payment'];
  return names.map((subgraph) =>
    probe(
      `${subgraph} subgraph: a valid signature sent a second time`,
      async (f) => {
        const body = JSON.stringify(REPLAYED_READS[subgraph](f));
        const headers = {
          'content-type': 'application/json',
          [IDENTITY_HEADER]: await signIdentity(identityClaims, 'gateway', f.p.stack.config.signingSecrets[0], body),
        };
        const first = await http(f.p.stack.subgraphs[subgraph]!.url, { method: 'POST', headers, body });
        if (first.status !== 200) throw new Error(`the original call was refused (${first.status}): ${first.text}`);
        return http(f.p.stack.subgraphs[subgraph]!.url, { method: 'POST', headers, body });
      },
      { status: 401, code: 'UNAUTHENTICATED' },
    ),
  );
}

/** Bodies a subgraph must answer without its internals (no signature, so nothing is parsed for a caller). */
export function subgraphBodyProbes(): Probe[] {
  const names: SubgraphName[] = ['operator', 'station', 'session', 'payment'];
  return names.flatMap((subgraph) => [
    probe(
      `${subgraph} subgraph: malformed JSON without a signature`,
      (f) =>
        http(f.p.stack.subgraphs[subgraph]!.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '{"query":',
        }),
      {
        status: 401,
        code: 'UNAUTHENTICATED',
      },
    ),
    probe(
      `${subgraph} subgraph: 2 MB body without a signature`,
      (f) =>
        http(f.p.stack.subgraphs[subgraph]!.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ query: 'x'.repeat(2_000_000) }),
        }),
      {
        status: 401,
        code: 'UNAUTHENTICATED',
      },
    ),
  ]);
}

// ---- webhook signatures ----------------------------------------------------------------------------------------

const stripeSignature = (payload: string, secret: string, timestamp = now()) =>
  `t=${timestamp},v1=${createHmac('sha256', secret).update(`${timestamp}.${payload}`).digest('hex')}`;

/** Events that would move state if accepted: B's account disabled, B's payment refunded/failed. */
function forgedEvents(f: Fixtures): string[] {
  const account = f.B.operator.account;
  const intent = f.B.secrets.find((s) => s.startsWith('pi_')) ?? 'pi_unknown';
  const event = (type: string, object: Record<string, unknown>) =>
    JSON.stringify({
      id: `evt_forged_${type.replaceAll('.', '_')}`,
      object: 'event',
      type,
      account,
      created: now(),
      livemode: false,
      data: { object },
    });
  return [
    event('account.updated', {
      id: account,
      object: 'account',
      charges_enabled: false,
      payouts_enabled: false,
      details_submitted: true,
    }),
    event('charge.refunded', {
      id: 'ch_forged',
      object: 'charge',
      payment_intent: intent,
      amount_refunded: 999_999,
      refunded: true,
    }),
    event('payment_intent.payment_failed', { id: intent, object: 'payment_intent', status: 'requires_payment_method' }),
  ];
}

function webhookProbes(): Probe[] {
  const post =
    (body: (f: Fixtures) => string, signature: (f: Fixtures, body: string) => string | undefined) => (f: Fixtures) => {
      const payload = body(f);
      const header = signature(f, payload);
      return http(f.p.webhookUrl, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(header === undefined ? {} : { 'stripe-signature': header }),
        },
        body: payload,
      });
    };
  const invalid = { status: 400, check: () => {} };
  const cases: Array<[string, (f: Fixtures, body: string) => string | undefined]> = [
    ['without a signature', () => undefined],
    ['with an empty signature', () => ''],
    ['with a garbage signature', () => 'garbage'],
    ['signed with another secret', (_f, body) => stripeSignature(body, 'whsec_attacker')],
    ['signed with the client JWT secret', (f, body) => stripeSignature(body, f.p.stack.config.JWT_SECRET)],
    ['with a stale timestamp', (_f, body) => stripeSignature(body, EMULATOR_WEBHOOK_SECRET, now() - 3600)],
    ['signed over another body', () => stripeSignature('{"id":"evt_other"}', EMULATOR_CONNECT_WEBHOOK_SECRET)],
    ['with only a v0 signature', (_f, body) => stripeSignature(body, EMULATOR_WEBHOOK_SECRET).replace('v1=', 'v0=')],
    [
      'with many wrong v1 signatures',
      (_f, body) =>
        `t=${now()},${Array.from({ length: 50 }, (_, i) => `v1=${createHmac('sha256', `k${i}`).update(body).digest('hex')}`).join(',')}`,
    ],
  ];
  return [
    ...[0, 1, 2].flatMap((index) =>
      cases.map(([name, signature]) =>
        probe(
          `webhook #${index + 1} ${name}`,
          post((f) => forgedEvents(f)[index], signature),
          invalid,
        ),
      ),
    ),
    probe(
      'webhook with an empty body',
      post(
        () => '',
        () => undefined,
      ),
      invalid,
    ),
    probe(
      'webhook with a non-JSON body and a wrong signature',
      post(
        () => 'not json at all',
        (_f, body) => stripeSignature(body, 'whsec_attacker'),
      ),
      invalid,
    ),
    probe(
      'webhook with a 2 MB body',
      post(
        () => 'x'.repeat(2_000_000),
        () => 'garbage',
      ),
      { status: 413, check: () => {} },
    ),
  ];
}

export const credentialProbes = (): Record<string, Probe[]> => ({
  'forged, expired and malformed client tokens at the gateway': clientTokenProbes(),
  'forged identity signatures straight to each subgraph': subgraphSignatureProbes(),
  'replayed identity signatures': replayedSignatureProbes(),
  'forged webhook signatures at the payment subgraph': webhookProbes(),
});
