/**
 * schema/supergraph.yaml: which subgraphs make up the supergraph — ours and any partners — and how to compose them.
 */
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { SUBGRAPH_NAMES } from '../platform/config.js';
import type { PartnerMeta } from './artifact.js';
import { composeSubgraphs, type CompositionOutcome, type SubgraphSdl } from './contract.js';

export const DEFAULT_CONFIG_PATH = fileURLToPath(new URL('supergraph.yaml', import.meta.url));

export type SchemaSource = { file: string } | { subgraphUrl: string };

export interface SubgraphEntry {
  name: string;
  routingUrl: string;
  /** Where its SDL comes from: a file (relative to the config) or a running subgraph's `_service { sdl }`. */
  schema: SchemaSource;
  /** Present for partners only. */
  partner?: PartnerMeta;
}

export interface SupergraphConfig {
  path: string;
  /** Ours first, in start order, then partners in file order. */
  subgraphs: SubgraphEntry[];
  /** The composed supergraph is written beside the config. */
  outputPath: string;
}

const url = z.string().url();
const ourEntry = z.object({ routing_url: url, schema: z.object({ file: z.string().min(1) }).strict() }).strict();
const partnerEntry = z
  .object({
    routing_url: url,
    schema: z.union([z.object({ file: z.string().min(1) }).strict(), z.object({ subgraph_url: url }).strict()]),
    secret_env: z
      .string()
      .regex(/^[A-Z][A-Z0-9_]*$/, 'an environment variable name (A-Z, 0-9, _)')
      .nullish(),
    timeout_ms: z.number().int().positive().max(60_000).optional(),
    max_concurrency: z.number().int().positive().max(10_000).optional(),
  })
  .strict();
const fileSchema = z
  .object({
    subgraphs: z.partialRecord(z.enum(SUBGRAPH_NAMES), ourEntry),
    // Graph names become enum values in the supergraph: lower-case, so two names cannot collide after upper-casing.
    partners: z
      .record(z.string().regex(/^[a-z][a-z0-9_]{1,39}$/, 'lower-case letters, digits and _'), partnerEntry)
      .nullish(),
  })
  .strict()
  .superRefine((value, ctx) => {
    for (const name of Object.keys(value.partners ?? {})) {
      if (name in value.subgraphs || (SUBGRAPH_NAMES as readonly string[]).includes(name)) {
        ctx.addIssue({
          code: 'custom',
          path: ['partners', name],
          message: `"${name}" is the name of a ChargeGraph subgraph`,
        });
      }
    }
  });

export async function loadSupergraphConfig(path = DEFAULT_CONFIG_PATH): Promise<SupergraphConfig> {
  return parseSupergraphConfig(await readFile(path, 'utf8'), path);
}

/** Validates the YAML; every problem in one message. Relative paths are resolved against the config's folder. */
export function parseSupergraphConfig(text: string, path: string): SupergraphConfig {
  const parsed = fileSchema.safeParse(parseYaml(text));
  if (!parsed.success) throw new Error(`${path} is invalid:\n${z.prettifyError(parsed.error)}`);
  const folder = dirname(resolve(path));
  const ours = SUBGRAPH_NAMES.flatMap((name): SubgraphEntry[] => {
    const entry = parsed.data.subgraphs[name];
    return entry ? [{ name, routingUrl: entry.routing_url, schema: { file: resolve(folder, entry.schema.file) } }] : [];
  });
  const partners = Object.entries(parsed.data.partners ?? {}).map(([name, entry]): SubgraphEntry => ({
    name,
    routingUrl: entry.routing_url,
    schema:
      'file' in entry.schema
        ? { file: resolve(folder, entry.schema.file) }
        : { subgraphUrl: entry.schema.subgraph_url },
    partner: {
      ...(entry.secret_env ? { secretEnv: entry.secret_env } : {}),
      ...(entry.timeout_ms ? { timeoutMs: entry.timeout_ms } : {}),
      ...(entry.max_concurrency ? { maxConcurrency: entry.max_concurrency } : {}),
    },
  }));
  return { path: resolve(path), subgraphs: [...ours, ...partners], outputPath: resolve(folder, 'supergraph.graphql') };
}

/** A subgraph's SDL from its file or, for a running subgraph, from the federation `_service { sdl }` query. */
export async function readSubgraphSdl(entry: SubgraphEntry, timeoutMs = 10_000): Promise<string> {
  if ('file' in entry.schema) {
    const { file } = entry.schema;
    return readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
      throw new Error(`subgraph "${entry.name}": cannot read ${file} (${error.code ?? error.message})`);
    });
  }
  const { subgraphUrl } = entry.schema;
  try {
    const response = await fetch(subgraphUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ _service { sdl } }' }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const body = (await response.json()) as { data?: { _service?: { sdl?: unknown } } };
    const sdl = body.data?._service?.sdl;
    if (!response.ok || typeof sdl !== 'string')
      throw new Error(`HTTP ${response.status}, no _service.sdl in the answer`);
    return sdl;
  } catch (error) {
    throw new Error(
      `subgraph "${entry.name}": introspection of ${subgraphUrl} failed (${error instanceof Error ? error.message : String(error)})`,
    );
  }
}

export interface ComposeOptions {
  /** Our subgraphs' SDL; default: the files the config names (the published contract). */
  ourSdl?: (entry: SubgraphEntry) => Promise<string>;
  /** A candidate SDL replacing (or, for an unknown name, adding as a partner) one subgraph. */
  candidate?: { name: string; sdl: string };
}

export interface ComposedConfig {
  subgraphs: Array<SubgraphSdl & { partner?: PartnerMeta }>;
  composition: CompositionOutcome;
}

/** Reads every subgraph's SDL and composes them. */
export async function composeConfig(
  config: SupergraphConfig,
  { ourSdl = readSubgraphSdl, candidate }: ComposeOptions = {},
): Promise<ComposedConfig> {
  const entries = [...config.subgraphs];
  if (candidate && !entries.some((e) => e.name === candidate.name)) {
    // A partner not yet in the configuration: where it will be routed does not matter to composition.
    entries.push({
      name: candidate.name,
      routingUrl: `https://${candidate.name}.partner.invalid/graphql`,
      schema: { file: '(candidate)' },
      partner: {},
    });
  }
  const subgraphs: ComposedConfig['subgraphs'] = [];
  // One at a time: printing our SDL from code must not overlap (see buildFederatedSchema).
  for (const entry of entries) {
    const sdl =
      candidate?.name === entry.name
        ? candidate.sdl
        : entry.partner
          ? await readSubgraphSdl(entry)
          : await ourSdl(entry);
    subgraphs.push({ name: entry.name, url: entry.routingUrl, partner: entry.partner, sdl });
  }
  return { subgraphs, composition: composeSubgraphs(subgraphs) };
}
