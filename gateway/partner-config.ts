/**
 * The gateway's settings for live supergraphs and partner subgraphs, read from the environment (validated, all
 * problems in one message), and what the gateway tells a partner about the caller.
 */
import { createHmac } from 'node:crypto';
import { SignJWT } from 'jose';
import { z } from 'zod';
import type { PartnerMeta } from '../schema/artifact.js';
import type { Identity } from '../platform/identity.js';

const envSchema = z
  .object({
    /** The composed supergraph file, watched (default schema/supergraph.graphql). */
    SUPERGRAPH_PATH: z.string().min(1).optional(),
    /** Or a URL serving it, polled. */
    SUPERGRAPH_URL: z.string().url().optional(),
    /** How often the URL is polled, and how often the file is re-read besides file-system events. */
    SUPERGRAPH_POLL_MS: z.coerce.number().int().min(50).default(5000),
    PARTNER_TIMEOUT_MS: z.coerce.number().int().positive().default(2000),
    /** Calls in flight at once per partner; more fail at once with UPSTREAM_UNAVAILABLE. */
    PARTNER_MAX_CONCURRENCY: z.coerce.number().int().positive().default(32),
    /** Keys the pseudonyms partners see; set it so they survive a rotation of SUBGRAPH_SIGNING_SECRETS. */
    PARTNER_PSEUDONYM_SECRET: z.string().min(32).optional(),
  })
  .refine((env) => !(env.SUPERGRAPH_PATH && env.SUPERGRAPH_URL), {
    message: 'set SUPERGRAPH_PATH or SUPERGRAPH_URL, not both',
  });

export type SupergraphEnv = z.infer<typeof envSchema>;

export function loadSupergraphEnv(env: NodeJS.ProcessEnv): SupergraphEnv {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) throw new Error(`Invalid configuration:\n${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

/** How the gateway calls one partner. */
export interface PartnerSettings {
  name: string;
  timeoutMs: number;
  maxConcurrency: number;
  /** The partner's own secret: signs what it receives. None = the partner receives no identity at all. */
  secret?: Uint8Array;
  /** Derives the partner-scoped pseudonyms (ours, never sent). */
  pseudonymKey: Buffer;
}

/**
 * Settings for every partner of a supergraph. A partner whose secret variable is missing or too short is a
 * configuration error: the supergraph is refused rather than calling the partner without the identity it expects.
 */
export function resolvePartners(
  names: string[],
  meta: Record<string, PartnerMeta>,
  env: NodeJS.ProcessEnv,
  settings: SupergraphEnv,
  signingSecret: string,
): Map<string, PartnerSettings> {
  const problems: string[] = [];
  for (const name of Object.keys(meta))
    if (!names.includes(name))
      problems.push(`partner settings name "${name}", which is not a subgraph of this supergraph`);
  // Without a dedicated secret, derive one from ours: one-way, so nothing of our signing secret reaches a partner.
  const pseudonymRoot =
    settings.PARTNER_PSEUDONYM_SECRET ??
    createHmac('sha256', signingSecret).update('chargegraph/partner-pseudonyms').digest('hex');
  const partners = new Map<string, PartnerSettings>();
  for (const name of names) {
    const { secretEnv, timeoutMs, maxConcurrency } = meta[name] ?? {};
    const secret = secretEnv ? env[secretEnv] : undefined;
    if (secretEnv && (!secret || secret.length < 32))
      problems.push(`partner "${name}": ${secretEnv} is not set or shorter than 32 characters`);
    partners.set(name, {
      name,
      timeoutMs: timeoutMs ?? settings.PARTNER_TIMEOUT_MS,
      maxConcurrency: maxConcurrency ?? settings.PARTNER_MAX_CONCURRENCY,
      secret: secret ? new TextEncoder().encode(secret) : undefined,
      pseudonymKey: createHmac('sha256', pseudonymRoot).update(name).digest(),
    });
  }
  if (problems.length) throw new Error(problems.join('; '));
  return partners;
}

/** Header carrying the caller's identity to a partner, signed with that partner's secret (never ours). */
export const PARTNER_IDENTITY_HEADER = 'x-chargegraph-partner-identity';

/** A stable subject per (partner, caller) that the partner cannot link to our ids or to other partners' ones. */
export const partnerPseudonym = (partner: PartnerSettings, sub: string) =>
  createHmac('sha256', partner.pseudonymKey).update(sub).digest('base64url').slice(0, 22);

/**
 * What a partner learns about the caller: the role and a pseudonym, for 60 seconds, for that partner only.
 * No operator id, no real subject, nothing for anonymous callers.
 */
export async function signPartnerIdentity(partner: PartnerSettings, identity: Identity): Promise<string | undefined> {
  if (!partner.secret || !identity.role) return undefined;
  return new SignJWT({ role: identity.role })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(identity.sub ? partnerPseudonym(partner, identity.sub) : '')
    .setIssuer('chargegraph')
    .setAudience(partner.name)
    .setIssuedAt()
    .setExpirationTime('60s')
    .sign(partner.secret);
}
