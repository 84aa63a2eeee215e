import { composeServices } from '@apollo/composition';
import { printSubgraphSchema } from '@apollo/subgraph';
import { parse } from 'graphql';
import { DEFAULT_PORTS, SUBGRAPH_NAMES, type SubgraphName } from '../platform/config.js';
import { buildFederatedSchema } from '../platform/subgraph/federation.js';
import type { SubgraphModule } from '../platform/subgraph/server.js';

export interface SubgraphSdl {
  name: string;
  url: string;
  sdl: string;
}

/** The SDL a subgraph publishes, generated from its code (no database needed). */
export async function printSubgraphSdl(module: SubgraphModule): Promise<string> {
  return printSubgraphSchema(await buildFederatedSchema(module));
}

export const defaultRoutingUrl = (name: SubgraphName) => `http://127.0.0.1:${DEFAULT_PORTS[name]}/graphql`;

/** Our subgraphs' published SDL, in a fixed order. */
export async function ourSubgraphSdls(modules: Partial<Record<SubgraphName, SubgraphModule>>): Promise<SubgraphSdl[]> {
  const sdls: SubgraphSdl[] = [];
  for (const name of SUBGRAPH_NAMES) {
    const module = modules[name];
    if (module) sdls.push({ name, url: defaultRoutingUrl(name), sdl: await printSubgraphSdl(module) }); // one at a time: see buildFederatedSchema
  }
  return sdls;
}

export type CompositionOutcome =
  { supergraphSdl: string; errors?: undefined } | { supergraphSdl?: undefined; errors: string[] };

/** Composes subgraphs into a supergraph, or lists every composition error (a subgraph's SDL that does not parse included). */
export function composeSubgraphs(subgraphs: SubgraphSdl[]): CompositionOutcome {
  const services = [];
  const errors: string[] = [];
  for (const { name, url, sdl } of subgraphs) {
    try {
      services.push({ name, url, typeDefs: parse(sdl) });
    } catch (error) {
      errors.push(`[${name}] ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  if (errors.length) return { errors };
  const result = composeServices(services);
  return result.errors ? { errors: result.errors.map((e) => e.message) } : { supergraphSdl: result.supergraphSdl };
}

/** Composes subgraphs into a supergraph; throws with every composition error listed. */
export function composeSupergraph(subgraphs: SubgraphSdl[]): string {
  const result = composeSubgraphs(subgraphs);
  if (result.errors) throw new Error(`Composition failed:\n${result.errors.map((e) => `  - ${e}`).join('\n')}`);
  return result.supergraphSdl;
}
