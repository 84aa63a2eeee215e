/**
 * The composed supergraph as a file: what `npm run compose` writes and the gateway loads (from disk or a URL).
 * Kept free of heavy imports: the gateway reads it at run time.
 */
import { createHash } from 'node:crypto';
import { rename, writeFile } from 'node:fs/promises';
import { z } from 'zod';

/** How the gateway calls one partner; the secret itself never appears here, only the variable that holds it. */
export interface PartnerMeta {
  /** Environment variable holding the partner's own signing secret; absent = the partner receives no identity. */
  secretEnv?: string;
  timeoutMs?: number;
  maxConcurrency?: number;
}

/**
 * Partner settings travel inside the supergraph file as its first line, a GraphQL comment, so that one artifact
 * (one hash, one atomic swap) carries both the schema and how to call its partners.
 */
const HEADER = '# chargegraph:partners ';

export const partnerMetaSchema = z
  .object({
    secretEnv: z
      .string()
      .regex(/^[A-Z][A-Z0-9_]*$/, 'an environment variable name (A-Z, 0-9, _)')
      .optional(),
    timeoutMs: z.number().int().positive().max(60_000).optional(),
    maxConcurrency: z.number().int().positive().max(10_000).optional(),
  })
  .strict();
const headerSchema = z.record(z.string(), partnerMetaSchema);

export function renderSupergraphFile(supergraphSdl: string, partners: Record<string, PartnerMeta>): string {
  // Only a supergraph with partners carries the line: ours alone stays the plain composition output.
  if (Object.keys(partners).length === 0) return supergraphSdl;
  return `${HEADER}${JSON.stringify(partners)}\n${supergraphSdl}`;
}

/** Reads the partner line of a supergraph file (none = no partner settings); throws on a malformed one. */
export function parsePartnerMeta(text: string): Record<string, PartnerMeta> {
  if (!text.startsWith(HEADER)) return {};
  const line = text.slice(HEADER.length, text.indexOf('\n') === -1 ? undefined : text.indexOf('\n'));
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch {
    throw new Error('the partner settings line of the supergraph is not valid JSON');
  }
  const parsed = headerSchema.safeParse(json);
  if (!parsed.success)
    throw new Error(`the partner settings line of the supergraph is invalid: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

/** The version a supergraph is known by (readiness, logs): the SHA-256 of the whole file. */
export const supergraphHash = (text: string) => `sha256:${createHash('sha256').update(text).digest('hex')}`;

/** Write-then-rename, so a watching gateway never reads half a file. */
export async function writeFileAtomic(path: string, content: string): Promise<void> {
  const temporary = `${path}.${process.pid}.${Date.now()}.tmp`;
  await writeFile(temporary, content);
  await rename(temporary, path);
}
