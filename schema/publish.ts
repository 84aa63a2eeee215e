/**
 * The files of the published contract: each of our subgraphs' SDL printed from its code, and the supergraph composed
 * from schema/supergraph.yaml (ours + partners), and the Apollo Client cache policies of its API schema
 * (apollo-type-policies.ts beside it). Shared by `npm run compose` and the drift test.
 */
import type { SubgraphName } from '../platform/config.js';
import type { SubgraphModule } from '../platform/subgraph/server.js';
import { dirname, join } from 'node:path';
import { renderSupergraphFile, type PartnerMeta } from './artifact.js';
import { apiSchema } from './breaking.js';
import { APOLLO_TYPE_POLICIES_FILE, renderApolloTypePolicies } from './cache-policies.js';
import { composeConfig, type ComposeOptions, type SupergraphConfig } from './config.js';
import { ourSubgraphSdls } from './contract.js';
import { isOurSubgraph, ownershipViolations, type OwnershipViolation } from './ownership.js';

export interface Contract {
  /** Absolute path → content. */
  files: Map<string, string>;
  /** The supergraph file's content (also in `files`). */
  supergraph: string;
  /** Partner rules the configuration breaks; the supergraph must not be published while there are any. */
  ownership: OwnershipViolation[];
}

export async function buildContract(
  config: SupergraphConfig,
  modules: Partial<Record<SubgraphName, SubgraphModule>>,
): Promise<Contract> {
  const printed = new Map((await ourSubgraphSdls(modules)).map((s) => [s.name, s.sdl]));
  const configured = new Set(config.subgraphs.map((s) => s.name));
  const unlisted = [...printed.keys()].filter((name) => !configured.has(name));
  const missing = config.subgraphs.filter((s) => !s.partner && !printed.has(s.name)).map((s) => s.name);
  if (unlisted.length || missing.length) {
    throw new Error(
      [
        ...unlisted.map((name) => `subgraph "${name}" exists in subgraphs/ but is not listed in ${config.path}`),
        ...missing.map(
          (name) => `subgraph "${name}" is listed in ${config.path} but has no module in subgraphs/index.ts`,
        ),
      ].join('\n'),
    );
  }

  const { supergraph, ownership } = await composeSupergraphFile(config, {
    ourSdl: async (entry) => printed.get(entry.name) ?? '',
  });
  const files = new Map<string, string>();
  for (const entry of config.subgraphs) {
    if (!entry.partner && 'file' in entry.schema) files.set(entry.schema.file, printed.get(entry.name) ?? '');
  }
  files.set(config.outputPath, supergraph);
  const policiesPath = join(dirname(config.outputPath), APOLLO_TYPE_POLICIES_FILE);
  files.set(policiesPath, await renderApolloTypePolicies(apiSchema(supergraph), policiesPath));
  return { files, supergraph, ownership };
}

/**
 * The supergraph file for a configuration: the composition, with the partners' call settings on its first line.
 * Throws when it does not compose; partner-rule violations are returned for the caller to refuse.
 */
export async function composeSupergraphFile(
  config: SupergraphConfig,
  options: ComposeOptions = {},
): Promise<{ supergraph: string; ownership: OwnershipViolation[] }> {
  const { composition, subgraphs } = await composeConfig(config, options);
  if (composition.errors)
    throw new Error(`Composition failed:\n${composition.errors.map((e) => `  - ${e}`).join('\n')}`);
  const partners: Record<string, PartnerMeta> = {};
  for (const s of subgraphs) if (s.partner) partners[s.name] = s.partner;
  return {
    supergraph: renderSupergraphFile(composition.supergraphSdl, partners),
    ownership: ownershipViolations(composition.supergraphSdl, isOurSubgraph),
  };
}
