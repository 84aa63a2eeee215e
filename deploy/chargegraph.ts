/**
 * The container image's entry point: one image, one process per role.
 *
 *   chargegraph gateway                     the gateway (GATEWAY_PORT)
 *   chargegraph operator|station|session|payment   one subgraph (<NAME>_PORT)
 *   chargegraph ocpp                        the OCPP endpoint for charge points (OCPP_PORT)
 *   chargegraph migrate [<subgraph>…|ocpp|all]   apply migrations and exit (the Kubernetes migration Jobs)
 */
import { SUBGRAPH_NAMES } from '../platform/config.js';

/** Roles that are one process entry each (compiled next to this file's folder). */
const ENTRIES: Record<string, string> = {
  gateway: '../gateway/main.js',
  ocpp: '../ocpp/main.js',
  ...Object.fromEntries(SUBGRAPH_NAMES.map((name) => [name, `../subgraphs/${name}/main.js`])),
};

const [command, ...args] = process.argv.slice(2);
const usage = `usage: chargegraph <gateway|${SUBGRAPH_NAMES.join('|')}|ocpp|migrate [subgraph…|ocpp|all]>`;

if (command && Object.hasOwn(ENTRIES, command)) {
  await import(ENTRIES[command]);
} else if (command === 'migrate') {
  const { migrate, parseTargets } = await import('../subgraphs/migrate.js');
  // `ocpp` is the OCPP process's own database (the used-token table of its signed POST /commands); `all` includes it.
  const targets = args.length ? args : ['all'];
  const subgraphs = targets.filter((target) => target !== 'ocpp');
  try {
    if (subgraphs.length) await migrate(parseTargets(subgraphs));
    if (targets.includes('ocpp') || targets.includes('all')) {
      const { migrateOcpp } = await import('./migrate-ocpp.js');
      await migrateOcpp();
    }
    process.exit(0);
  } catch (error) {
    process.stderr.write(`migration failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  }
} else {
  process.stderr.write(`${usage}\n`);
  process.exit(command === undefined || command === 'help' || command === '--help' ? 0 : 2);
}
