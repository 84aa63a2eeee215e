/**
 * Applies the committed migrations of one subgraph, or of all (`all`, the default), and exits: the Kubernetes
 * migration Job before a rollout (`chargegraph migrate payment`), or `tsx subgraphs/migrate.ts payment`.
 * Creates the database when missing. Exit 0 when every migration applied (or none was pending), 1 otherwise.
 */
import 'reflect-metadata';
import { pathToFileURL } from 'node:url';
import { SUBGRAPH_NAMES, type SubgraphName } from '../platform/config.js';
import { migrateExclusively, openDatabase } from '../platform/database.js';
import { databaseUrl } from '../platform/database-admin.js';
import { loadOrExit } from '../platform/process-lifecycle.js';
import { createProcessLogger } from '../platform/observability.js';
import { loadProcessConfig } from '../platform/runtime-config.js';
import { subgraphModules } from './index.js';

export async function migrate(
  names: SubgraphName[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<Record<string, string[]>> {
  const { config } = loadOrExit(() => loadProcessConfig(env));
  const logger = createProcessLogger('migrate', config.LOG_LEVEL);
  const applied: Record<string, string[]> = {};
  for (const name of names) {
    const module = subgraphModules[name];
    if (!module) throw new Error(`no subgraph module named ${name}`);
    const started = performance.now();
    const orm = await openDatabase({
      clientUrl: databaseUrl(config, name),
      entities: module.entities,
      migrations: module.migrations,
      logger,
      migrate: false,
      poolMax: 2,
    });
    try {
      applied[name] = await migrateExclusively(orm, databaseUrl(config, name));
    } finally {
      await orm.close(true);
    }
    logger.info(
      { subgraph: name, applied: applied[name], ms: Math.round(performance.now() - started) },
      applied[name].length ? 'migrations applied' : 'database up to date',
    );
  }
  return applied;
}

export function parseTargets(args: string[]): SubgraphName[] {
  if (args.length === 0 || (args.length === 1 && args[0] === 'all')) return [...SUBGRAPH_NAMES];
  const unknown = args.filter((name) => !(SUBGRAPH_NAMES as readonly string[]).includes(name));
  if (unknown.length)
    throw new Error(`unknown subgraph ${unknown.join(', ')}; one of: ${SUBGRAPH_NAMES.join(', ')}, all`);
  return args as SubgraphName[];
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  try {
    await migrate(parseTargets(process.argv.slice(2)));
    process.exit(0);
  } catch (error) {
    process.stderr.write(`migration failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  }
}
