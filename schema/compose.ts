/**
 * Publishes the contract: prints each of our subgraphs' SDL to schema/<name>.graphql and composes the subgraphs of
 * schema/supergraph.yaml (ours + partners) into schema/supergraph.graphql, which a running gateway picks up live.
 *
 *   npm run compose                      write the files; refuses partner-rule violations and breaking changes
 *   npm run compose -- --allow-breaking  write even with breaking changes (a deliberate, reviewed decision)
 *   npm run compose -- --check           CI: fail when the committed files drift from the code and the config
 *   npm run compose -- --config <yaml>   another configuration (the supergraph is written beside it)
 */
import 'reflect-metadata';
import { readFile } from 'node:fs/promises';
import { relative } from 'node:path';
import { parseArgs } from 'node:util';
import { subgraphModules } from '../subgraphs/index.js';
import { writeFileAtomic } from './artifact.js';
import { contractChanges } from './breaking.js';
import { formatReport } from './check.js';
import { loadSupergraphConfig } from './config.js';
import { isOurSubgraph } from './ownership.js';
import { buildContract } from './publish.js';

const { values } = parseArgs({
  options: { check: { type: 'boolean' }, 'allow-breaking': { type: 'boolean' }, config: { type: 'string' } },
});
const config = await loadSupergraphConfig(values.config);
const contract = await buildContract(config, subgraphModules);
const show = (path: string) => relative(process.cwd(), path);

if (contract.ownership.length) {
  console.error(
    formatReport({
      subject: show(config.path),
      compositionErrors: [],
      ownership: contract.ownership,
      changes: [],
      passed: false,
    }),
  );
  process.exit(1);
}

if (values.check) {
  const drifted: string[] = [];
  for (const [path, content] of contract.files) {
    if ((await readFile(path, 'utf8').catch(() => '')) !== content) drifted.push(show(path));
  }
  if (drifted.length) {
    console.error(`schema/ drifted from the code: ${drifted.join(', ')}. Run \`npm run compose\` and commit schema/.`);
    process.exit(1);
  }
} else {
  const published = await readFile(config.outputPath, 'utf8').catch(() => undefined);
  if (published !== undefined && published !== contract.supergraph) {
    const changes = await contractChanges(published, contract.supergraph, { isOurs: isOurSubgraph });
    if (changes.some((c) => c.level === 'breaking') && !values['allow-breaking']) {
      console.error(
        formatReport({ subject: show(config.path), compositionErrors: [], ownership: [], changes, passed: false }),
      );
      console.error(
        '\nNothing written. Deprecate first (schema/README.md), or pass --allow-breaking if this break is intended.',
      );
      process.exit(1);
    }
  }
  for (const [path, content] of contract.files) {
    await writeFileAtomic(path, content);
    console.log(`wrote ${show(path)}`);
  }
}
