import { readFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadConfig, SUBGRAPH_NAMES, type Config, type SubgraphName } from '../platform/config.js';
import { busDatabaseUrl } from '../platform/bus.js';
import { databaseUrl, dropDatabase } from '../platform/database-admin.js';
import { createLogger } from '../platform/logger.js';
import { createSubgraph, type Subgraph } from '../platform/subgraph/server.js';
import { subgraphModules } from '../subgraphs/index.js';
import { createGateway, type Gateway } from '../gateway/gateway.js';
import { createOcppServer, type OcppServer } from '../ocpp/server.js';
import { ocppDatabaseUrl } from '../ocpp/config.js';
import { gatewayDatabaseUrl } from '../gateway/rate-limit.js';

export interface StackOptions {
  /** Environment the processes would see (DATABASE_URL, secrets, …). */
  env: NodeJS.ProcessEnv;
  /** Listen on free ports instead of the configured ones (tests). */
  ephemeralPorts?: boolean;
  /** The gateway's clock for its shared response cache (tests move it by hand); default the process's. */
  gatewayClock?: () => number;
}

export interface Stack {
  config: Config;
  gatewayUrl: string;
  subgraphs: Partial<Record<SubgraphName, Subgraph & { url: string }>>;
  gateway: Gateway;
  /** The OCPP process: charge points connect to `${ocppUrl.replace('http', 'ws')}/ocpp/<chargePointId>`. */
  ocpp: OcppServer;
  ocppUrl: string;
  close(): Promise<void>;
}

/**
 * Every subgraph, the OCPP process and the gateway in this process, each on its own HTTP port, talking real HTTP to
 * each other. Every subgraph's URL is fixed before the first starts, then they start in dependency order. The
 * OCPP port is bound first (subgraphs send it commands: they need OCPP_URL); the OCPP process itself is built after
 * the subgraphs (it calls the station and session subgraphs) and then serves on that listener.
 */
export async function startStack({ env, ephemeralPorts = false, gatewayClock }: StackOptions): Promise<Stack> {
  const urls: Record<string, string> = {};
  const subgraphs: Stack['subgraphs'] = {};
  const started: Array<{ close(): Promise<void> }> = [];
  const ocppListener = http.createServer();
  try {
    await new Promise<void>((resolve, reject) => {
      ocppListener.once('error', reject);
      ocppListener.listen(ephemeralPorts ? 0 : loadConfig(env).OCPP_PORT, '127.0.0.1', resolve);
    });
    urls.OCPP_URL = `http://127.0.0.1:${(ocppListener.address() as AddressInfo).port}`;
    // Every subgraph's URL is known before the first starts: session and payment call each other both ways.
    const ports: Partial<Record<SubgraphName, number>> = {};
    for (const name of SUBGRAPH_NAMES) {
      ports[name] = ephemeralPorts ? await freePort() : loadConfig(env).ports[name];
      urls[`${name.toUpperCase()}_URL`] = `http://127.0.0.1:${ports[name]}/graphql`;
    }
    for (const name of SUBGRAPH_NAMES) {
      const module = subgraphModules[name];
      if (!module) continue;
      const config = loadConfig({ ...env, ...urls });
      const subgraph = await createSubgraph(module, config, createLogger(name, config.LOG_LEVEL));
      started.push(subgraph);
      const url = await subgraph.listen(ports[name]!);
      subgraphs[name] = Object.assign(subgraph, { url });
    }
    const config = loadConfig({ ...env, ...urls });
    const ocpp = await createOcppServer({
      config,
      logger: createLogger('ocpp', config.LOG_LEVEL),
      httpServer: ocppListener,
    });
    started.push(ocpp);
    const ocppUrl = await ocpp.listen(0);
    const supergraphSdl = await readFile(new URL('../schema/supergraph.graphql', import.meta.url), 'utf8');
    const gateway = await createGateway({
      config,
      logger: createLogger('gateway', config.LOG_LEVEL),
      supergraphSdl,
      env,
      clock: gatewayClock,
    });
    started.push(gateway);
    const gatewayUrl = await gateway.listen(ephemeralPorts ? 0 : config.GATEWAY_PORT);
    return {
      config,
      gatewayUrl,
      subgraphs,
      gateway,
      ocpp,
      ocppUrl,
      close: () => closeAll(started),
    };
  } catch (error) {
    await closeAll(started);
    if (ocppListener.listening) await new Promise((resolve) => ocppListener.close(resolve));
    throw error;
  }
}

/** A port that was free a moment ago. */
async function freePort(): Promise<number> {
  const probe = http.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

/** Gateway first (stops taking requests), then the OCPP process (reports chargers disconnected), then subgraphs. */
async function closeAll(started: Array<{ close(): Promise<void> }>): Promise<void> {
  for (const part of [...started].reverse()) await part.close().catch(() => {});
}

/** Drops every database a stack of this config made (each subgraph's, the gateway's, the OCPP process's, the bus). */
export async function dropStackDatabases(config: Config): Promise<void> {
  const databases = [
    ...SUBGRAPH_NAMES.map((name) => databaseUrl(config, name)),
    gatewayDatabaseUrl(config),
    ocppDatabaseUrl(config),
    busDatabaseUrl(config),
  ];
  await Promise.all(databases.map((url) => dropDatabase(url)));
}
