/**
 * What the benchmark runs: PostgreSQL (the system one, or the embedded one), the Stripe emulator and the four
 * subgraphs, each in a process of its own and started once; then the gateways under test, each a process (tree)
 * of its own on the same supergraph, the same subgraphs and the same number of workers. With `compiled` (the
 * gateway benchmark), our gateway and the subgraphs run as production runs them: dist/'s JS under plain node, with
 * the deployment's settings (deploy/k8s/base/common.yaml: LOG_LEVEL, DB_POOL_MAX) and node flags, no source
 * maps; the peers' bench-side entries are bundled to JS too (build.ts), so no measured process runs tsx.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { parseAllDocuments } from 'yaml';
import { SUBGRAPH_NAMES, type SubgraphName } from '../../platform/config.js';
import { dropDatabase } from '../../platform/database-admin.js';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../../dev/embedded-postgres.js';
import { compiled as compiledEntry, PEER_BUNDLES, productionNodeOptions } from './build.js';
import { assertPortFree, REPO_ROOT, startNode, waitReady, type Child } from './processes.js';

export const SYSTEM_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

export interface Ports {
  subgraphs: Record<SubgraphName, number>;
  stripe: number;
  embeddedPostgres: number;
  gatewayBase: number;
}

export function portsFrom(base: number): Ports {
  return {
    subgraphs: { operator: base + 1, station: base + 2, session: base + 3, payment: base + 4 },
    stripe: base + 10,
    embeddedPostgres: base + 30,
    gatewayBase: base + 40,
  };
}

export interface Secrets {
  jwt: string;
  signing: string;
  stripeKey: string;
  webhook: string;
  connectWebhook: string;
}

/** Fresh secrets per run: the whole stack runs with NODE_ENV=production, which refuses the development ones. */
export function freshSecrets(): Secrets {
  const hex = (n: number) => randomBytes(n).toString('hex');
  return {
    jwt: hex(32),
    signing: hex(32),
    stripeKey: `sk_test_bench${hex(8)}`,
    webhook: `whsec_bench${hex(16)}`,
    connectWebhook: `whsec_benchc${hex(16)}`,
  };
}

export interface Database {
  url: string;
  origin: string;
  stop(): Promise<void>;
}

/** DATABASE_URL when set, else the system PostgreSQL when it answers, else (or with `embedded`) an embedded PostgreSQL. */
export async function startDatabase(port: number, log: (line: string) => void, embedded = false): Promise<Database> {
  if (embedded) return startEmbedded(port, log);
  const candidate = process.env.DATABASE_URL ?? SYSTEM_DATABASE_URL;
  const client = new pg.Client({ connectionString: candidate, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.end();
    return {
      url: candidate,
      origin: process.env.DATABASE_URL ? 'DATABASE_URL' : 'system PostgreSQL',
      stop: async () => {},
    };
  } catch (error) {
    if (process.env.DATABASE_URL) throw new Error(`DATABASE_URL does not answer: ${(error as Error).message}`);
    await client.end().catch(() => {});
  }
  log(`no PostgreSQL at ${SYSTEM_DATABASE_URL}`);
  return startEmbedded(port, log);
}

async function startEmbedded(port: number, log: (line: string) => void): Promise<Database> {
  log(`starting an embedded PostgreSQL on port ${port} (.data/bench-postgres)`);
  const database: EmbeddedDatabase = await startEmbeddedPostgres('.data/bench-postgres', port, log);
  return { url: database.url, origin: `embedded PostgreSQL :${port}`, stop: () => database.stop() };
}

export interface Backend {
  env: NodeJS.ProcessEnv;
  /** Compiled JS (dist/, bundled peers) rather than TypeScript under tsx. */
  compiled: boolean;
  prefix: string;
  secrets: Secrets;
  subgraphUrls: Record<SubgraphName, string>;
  subgraphs: Record<SubgraphName, Child>;
  stripe: Child;
  stripeUrl: string;
  /** The committed supergraph with this run's routing URLs (a copy: a concurrent `compose` cannot change it mid-run). */
  supergraphFile: string;
  dropDatabases(): Promise<void>;
}

/** The Stripe emulator and the four subgraphs, started in parallel, each in its own process. */
export async function startBackend({
  ports,
  databaseUrl,
  logDir,
  workDir,
  extraEnv = {},
  profile = [],
  compiled = false,
}: {
  ports: Ports;
  databaseUrl: string;
  logDir: string;
  workDir: string;
  /** Settings for every process (e.g. OCPP_URL for the OCPP benchmark). */
  extraEnv?: Record<string, string>;
  /** Subgraphs to run under --cpu-prof (profiles in <logDir>/cpuprofile-subgraph-<name>/, written at exit). */
  profile?: string[];
  /** Run dist/'s compiled subgraphs with the deployment's settings (ensureBuild first). */
  compiled?: boolean;
}): Promise<Backend> {
  for (const port of [...Object.values(ports.subgraphs), ports.stripe]) await assertPortFree(port);
  const secrets = freshSecrets();
  const prefix = `bench_${randomBytes(4).toString('hex')}`;
  const subgraphUrls = Object.fromEntries(
    SUBGRAPH_NAMES.map((name) => [name, `http://127.0.0.1:${ports.subgraphs[name]}/graphql`]),
  ) as Record<SubgraphName, string>;
  const stripeUrl = `http://127.0.0.1:${ports.stripe}`;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    APOLLO_TELEMETRY_DISABLED: 'true',
    DATABASE_URL: databaseUrl,
    DATABASE_PREFIX: prefix,
    JWT_SECRET: secrets.jwt,
    SUBGRAPH_SIGNING_SECRETS: secrets.signing,
    STRIPE_SECRET_KEY: secrets.stripeKey,
    STRIPE_WEBHOOK_SECRET: secrets.webhook,
    STRIPE_CONNECT_WEBHOOK_SECRET: secrets.connectWebhook,
    STRIPE_API_HOST: '127.0.0.1',
    STRIPE_API_PORT: String(ports.stripe),
    STRIPE_API_PROTOCOL: 'http',
    SWEEPER_CRON: 'off',
    LISTEN_HOST: '127.0.0.1',
    // Our gateway's mutation rate limit keeps counting (its cost is measured) but never refuses the write mix.
    RATE_LIMIT_MUTATIONS: '1000000',
    ...Object.fromEntries(
      SUBGRAPH_NAMES.flatMap((name) => [
        [`${name.toUpperCase()}_PORT`, String(ports.subgraphs[name])],
        [`${name.toUpperCase()}_URL`, subgraphUrls[name]],
      ]),
    ),
    ...(compiled ? deployedSettings() : {}),
    ...extraEnv,
  };
  const stripe = await startNode('stripe-emulator', 'bench/gateways/stripe-emulator.ts', {
    env: {
      ...env,
      STRIPE_EMULATOR_PORT: String(ports.stripe),
      STRIPE_EMULATOR_WEBHOOK_URL: new URL('/webhooks/stripe', subgraphUrls.payment).toString(),
      STRIPE_EMULATOR_WEBHOOK_SECRET: secrets.webhook,
      STRIPE_EMULATOR_CONNECT_WEBHOOK_SECRET: secrets.connectWebhook,
    },
    logDir,
  });
  const subgraphs = {} as Record<SubgraphName, Child>;
  for (const name of SUBGRAPH_NAMES)
    subgraphs[name] = await startNode(
      `subgraph-${name}`,
      compiled ? compiledEntry(`subgraphs/${name}/main.ts`) : `subgraphs/${name}/main.ts`,
      {
        env,
        logDir,
        nodeArgs: [
          ...(compiled ? productionNodeOptions(deployedNodeOptions(name)) : []),
          ...(profile.includes(name) ? cpuProfileArgs(logDir, `subgraph-${name}`) : []),
        ],
      },
    );
  await Promise.all([
    waitReady(stripe, `${stripeUrl}/_emulator/health`),
    ...SUBGRAPH_NAMES.map((name) =>
      waitReady(subgraphs[name], new URL('/health/ready', subgraphUrls[name]).toString(), 120_000),
    ),
  ]);

  let supergraph = await readFile(path.join(import.meta.dirname, '..', '..', 'schema', 'supergraph.graphql'), 'utf8');
  for (const name of SUBGRAPH_NAMES) {
    supergraph = supergraph.replace(
      new RegExp(`(@join__graph\\(name: "${name}", url: ")[^"]*(")`),
      `$1${subgraphUrls[name]}$2`,
    );
  }
  const supergraphFile = path.join(workDir, 'supergraph.graphql');
  await writeFile(supergraphFile, supergraph);

  return {
    env,
    compiled,
    prefix,
    secrets,
    subgraphUrls,
    subgraphs,
    stripe,
    stripeUrl,
    supergraphFile,
    async dropDatabases() {
      // Every database of this run: the subgraphs', the gateway's, the bus, whatever a process created.
      const admin = new pg.Client({ connectionString: databaseUrl });
      let names: string[] = [...SUBGRAPH_NAMES, 'gateway', 'bus'].map((name) => `${prefix}_${name}`);
      try {
        await admin.connect();
        const { rows } = await admin.query<{ datname: string }>(
          `select datname from pg_database where datname like $1`,
          [`${prefix}\\_%`],
        );
        names = [...new Set([...names, ...rows.map((r) => r.datname)])];
      } catch {
        // fall back to the known names
      } finally {
        await admin.end().catch(() => {});
      }
      for (const name of names) {
        const url = new URL(databaseUrl);
        url.pathname = `/${name}`;
        await dropDatabase(url.toString()).catch(() => {});
      }
    },
  };
}

/** A gateway under test (or, for `direct`, the subgraphs themselves). */
export interface TargetSpec {
  name: string;
  label: string;
  kind: 'gateway' | 'direct';
  /** What it is, for the report. */
  description: string;
  /** Measured on reads only (a variant that cannot differ on mutations). */
  readsOnly?: boolean;
}

export interface RunningTarget extends TargetSpec {
  url: string;
  child?: Child;
}

export interface GatewayLaunch {
  backend: Backend;
  port: number;
  workers: number;
  logDir: string;
  /** Extra node options (e.g. --cpu-prof for `--profile`). */
  nodeArgs: string[];
}

type Launcher = (launch: GatewayLaunch) => Promise<{ child: Child; url: string }>;

interface Workload {
  spec?: {
    template?: { spec?: { containers?: Array<{ name: string; env?: Array<{ name: string; value?: string }> }> } };
  };
}

interface ConfigMap {
  kind?: string;
  data?: Record<string, string>;
}

/** What the deployment's ConfigMap sets that changes a request's cost: the log level (info logs every request), the pool. */
export function deployedSettings(): Record<string, string> {
  const data = parseAllDocuments(readFileSync(path.join(REPO_ROOT, 'deploy', 'k8s', 'base', 'common.yaml'), 'utf8'))
    .map((doc) => doc.toJS() as ConfigMap)
    .find((doc) => doc.kind === 'ConfigMap')?.data;
  if (!data?.LOG_LEVEL) throw new Error('deploy/k8s/base/common.yaml: no ConfigMap with LOG_LEVEL');
  return Object.fromEntries(['LOG_LEVEL', 'DB_POOL_MAX'].filter((k) => data[k] !== undefined).map((k) => [k, data[k]]));
}

/** The NODE_OPTIONS our Kubernetes manifest gives a process (heap bounds): ours runs here as it runs there. */
export function deployedNodeOptions(name: string): string[] {
  const manifests = parseAllDocuments(
    readFileSync(path.join(REPO_ROOT, 'deploy', 'k8s', 'base', `${name}.yaml`), 'utf8'),
  ).map((doc) => doc.toJS() as Workload);
  const value = manifests
    .flatMap((manifest) => manifest.spec?.template?.spec?.containers ?? [])
    .find((container) => container.name === name)
    ?.env?.find((variable) => variable.name === 'NODE_OPTIONS')?.value;
  return value?.split(/\s+/).filter(Boolean) ?? [];
}

/**
 * A gateway entry in `workers` processes: one worker is the entry itself, more go through the cluster launcher
 * (whose primary only hands out connections).
 */
function startGateway(
  name: string,
  entry: string,
  workers: number,
  options: { env: NodeJS.ProcessEnv; logDir: string; nodeArgs: string[] },
): Promise<Child> {
  if (workers === 1 && !entry.endsWith('.ts')) return startNode(name, entry, options);
  return startNode(name, 'bench/gateways/cluster.ts', { ...options, args: [String(workers), entry] });
}

/** Ours: gateway/main.ts as it is (compiled: dist/gateway/main.js); `env` adds settings. */
const ours =
  (name: string, env: Record<string, string> = {}): Launcher =>
  async ({ backend, port, workers, logDir, nodeArgs }) => {
    const deployed = deployedNodeOptions('gateway');
    const child = await startGateway(
      name,
      backend.compiled ? compiledEntry('gateway/main.ts') : 'gateway/main.ts',
      workers,
      {
        env: {
          ...backend.env,
          GATEWAY_PORT: String(port),
          GATEWAY_HOST: '127.0.0.1',
          SUPERGRAPH_PATH: backend.supergraphFile,
          ...env,
        },
        logDir,
        nodeArgs: [...(backend.compiled ? productionNodeOptions(deployed) : deployed), ...nodeArgs],
      },
    );
    return { child, url: `http://127.0.0.1:${port}/graphql` };
  };

const apolloStock: Launcher = async ({ backend, port, workers, logDir, nodeArgs }) => {
  const child = await startGateway(
    'gateway-apollo-stock',
    backend.compiled ? PEER_BUNDLES.apolloStock : 'bench/gateways/peers/apollo-stock.ts',
    workers,
    { env: { ...backend.env, PORT: String(port), SUPERGRAPH_FILE: backend.supergraphFile }, logDir, nodeArgs },
  );
  return { child, url: `http://127.0.0.1:${port}/graphql` };
};

const hive =
  (rust: boolean, dedupe: boolean): Launcher =>
  async ({ backend, port, workers, logDir, nodeArgs }) => {
    // Hive's CLI is JS; only its config is ours. Under tsx (the .ts config needs it) the CLI itself runs under tsx.
    const hiveArgs = [
      'supergraph',
      backend.supergraphFile,
      '--port',
      String(port),
      '--host',
      '127.0.0.1',
      '--fork',
      String(workers),
      '--config-path',
      backend.compiled ? PEER_BUNDLES.hiveConfig : 'bench/gateways/peers/hive.config.ts',
      ...(rust ? ['--hive-router-runtime'] : []),
    ];
    const child = await startNode(
      `gateway-hive${rust ? '-rust' : ''}${dedupe ? '' : '-nodedupe'}`,
      'bench/node_modules/@graphql-hive/gateway/dist/bin.js',
      {
        args: hiveArgs,
        env: { ...backend.env, HIVE_DEDUPE: dedupe ? 'on' : 'off' },
        logDir,
        nodeArgs: backend.compiled ? nodeArgs : ['--import', 'tsx', ...nodeArgs],
      },
    );
    return { child, url: `http://127.0.0.1:${port}/graphql` };
  };

export interface TargetDefinition extends TargetSpec {
  launch?: Launcher;
}

/** Every target the harness knows, in report order. */
export const TARGETS: TargetDefinition[] = [
  {
    name: 'direct',
    label: 'subgraph direct',
    kind: 'direct',
    description: 'the owning subgraph, called with a validly signed identity header (the physical limit)',
  },
  {
    name: 'ours',
    label: 'ours',
    kind: 'gateway',
    description:
      'gateway/main.ts as committed (Apollo Server + @apollo/gateway, hardening, each subgraph call signed; identical operations and subgraph queries in flight shared per caller)',
    launch: ours('gateway-ours'),
  },
  {
    name: 'apollo',
    label: 'stock @apollo/gateway',
    kind: 'gateway',
    description: '@apollo/gateway + @apollo/server startStandaloneServer, default options',
    launch: apolloStock,
  },
  {
    name: 'hive',
    label: 'Hive Gateway (JS planner)',
    kind: 'gateway',
    description: '@graphql-hive/gateway CLI, default options (identical subgraph queries in flight are deduplicated)',
    launch: hive(false, true),
  },
  {
    name: 'hive-rust',
    label: 'Hive Gateway (Rust planner)',
    kind: 'gateway',
    description: '@graphql-hive/gateway CLI --hive-router-runtime (@graphql-hive/router-runtime), default options',
    launch: hive(true, true),
  },
  {
    name: 'hive-nodedupe',
    label: 'Hive Gateway (JS), no dedupe',
    kind: 'gateway',
    readsOnly: true,
    description:
      'as `hive`, with deduplicateInflightRequests: false on every subgraph (every client request reaches the subgraphs)',
    launch: hive(false, false),
  },
  {
    name: 'hive-rust-nodedupe',
    label: 'Hive Gateway (Rust), no dedupe',
    kind: 'gateway',
    readsOnly: true,
    description: 'as `hive-rust`, with deduplicateInflightRequests: false on every subgraph',
    launch: hive(true, false),
  },
  {
    name: 'ours-nodedupe',
    label: 'ours, no dedupe',
    kind: 'gateway',
    readsOnly: true,
    description:
      'as `ours`, with OPERATION_DEDUPE=false and SUBGRAPH_DEDUPE=false (every client request is executed and reaches the subgraphs)',
    launch: ours('gateway-ours-nodedupe', { OPERATION_DEDUPE: 'false', SUBGRAPH_DEDUPE: 'false' }),
  },
];

/** Starts the gateways in turn (in parallel they would slow each other's start on two cores). */
export async function launchTargets(
  definitions: TargetDefinition[],
  backend: Backend,
  {
    gatewayBase,
    workers,
    logDir,
    probe,
    profile = [],
  }: {
    gatewayBase: number;
    workers: number;
    logDir: string;
    probe: (url: string) => () => Promise<boolean>;
    profile?: string[];
  },
): Promise<RunningTarget[]> {
  const running: RunningTarget[] = [];
  let port = gatewayBase;
  for (const definition of definitions) {
    const { launch, ...spec } = definition;
    if (!launch) {
      running.push({ ...spec, url: '' });
      continue;
    }
    await assertPortFree(port);
    // One folder per target: every thread (pino's transport threads too) writes a profile of its own there.
    const nodeArgs = profile.includes(spec.name)
      ? ['--cpu-prof', '--cpu-prof-dir', path.join(logDir, `cpuprofile-${spec.name.replace(/[^a-z0-9-]/gi, '_')}`)]
      : [];
    const { child, url } = await launch({ backend, port: port++, workers, logDir, nodeArgs });
    await waitReady(child, probe(url), 120_000);
    running.push({ ...spec, url, child });
  }
  return running;
}

/** Node flags that write a CPU profile of the process (every thread of it) into <logDir>/cpuprofile-<name>/ at exit. */
export function cpuProfileArgs(logDir: string, name: string): string[] {
  return ['--cpu-prof', '--cpu-prof-dir', path.join(logDir, `cpuprofile-${name.replace(/[^a-z0-9-]/gi, '_')}`)];
}
