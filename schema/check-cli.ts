/**
 * `npm run schema:check -- --subgraph <name> --sdl <file>`: composes the candidate with the configured supergraph
 * and reports composition errors, partner-rule violations and breaking changes against the published contract.
 * Without --subgraph it checks our subgraphs as printed from the code (what CI does).
 *
 *   --config <yaml>       the supergraph configuration (default schema/supergraph.yaml)
 *   --against <file>      the published contract (default: the supergraph beside the configuration)
 *
 * Exit code 1 when the check fails, 2 when it could not run.
 */
import 'reflect-metadata';
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { checkSubgraph, formatReport } from './check.js';
import { loadSupergraphConfig, type SubgraphEntry } from './config.js';
import { isOurSubgraph } from './ownership.js';

try {
  const { values } = parseArgs({
    options: {
      subgraph: { type: 'string' },
      sdl: { type: 'string' },
      config: { type: 'string' },
      against: { type: 'string' },
    },
  });
  if (Boolean(values.subgraph) !== Boolean(values.sdl))
    throw new Error('--subgraph and --sdl go together: npm run schema:check -- --subgraph <name> --sdl <file>');
  const config = await loadSupergraphConfig(values.config);
  const contract = await readFile(values.against ?? config.outputPath, 'utf8');
  const candidate =
    values.subgraph && values.sdl ? { name: values.subgraph, sdl: await readFile(values.sdl, 'utf8') } : undefined;
  // Checking one candidate: everything else as published. Checking ours: our SDL as the code prints it now.
  const ourSdl = candidate ? undefined : await codePrinter();
  const report = await checkSubgraph({ config, contract, candidate, ourSdl });
  console.log(formatReport(report));
  process.exitCode = report.passed ? 0 : 1;
} catch (error) {
  console.error(`schema check could not run: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 2;
}

/** Loaded only when needed: printing from code imports every subgraph (type-graphql, entities). */
async function codePrinter(): Promise<(entry: SubgraphEntry) => Promise<string>> {
  const [{ subgraphModules }, { printSubgraphSdl }] = await Promise.all([
    import('../subgraphs/index.js'),
    import('./contract.js'),
  ]);
  return async (entry) => {
    const module = isOurSubgraph(entry.name) ? subgraphModules[entry.name] : undefined;
    if (!module) throw new Error(`subgraph "${entry.name}" has no module in subgraphs/index.ts`);
    return printSubgraphSdl(module);
  };
}
