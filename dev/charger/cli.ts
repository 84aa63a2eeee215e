/**
 * `npm run charger -- --station <stationId> [--protocol ocpp1.6|ocpp2.0.1] [--gateway URL] [--ocpp URL] …`
 * One simulated charge point for a station of the running platform, for experiments: as a development platform
 * admin it registers the station's charge point through the gateway (or rotates its password when it has one),
 * connects with that password and prints what it does. Typed commands while it runs: `plug <connector> <idTag>`,
 * `unplug <connector>`, `stop <connector>`, `status`, `quit`.
 */
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { loadConfig } from '../../platform/config.js';
import { Role } from '../../platform/identity.js';
import { graphqlCaller } from '../graphql-call.js';
import { signDevToken } from '../tokens.js';
import { SimulatedCharger } from './charger.js';
import { ensureChargePoint } from './register.js';
import { OCPP_PROTOCOLS, type OcppProtocol } from './rpc.js';

const config = loadConfig();
const usage = `usage: npm run charger -- --station <stationId> [--protocol ${OCPP_PROTOCOLS.join('|')}]
  [--gateway http://localhost:${config.GATEWAY_PORT}/graphql] [--ocpp ws://localhost:${config.OCPP_PORT}/ocpp]
  [--id <chargePointId>] [--meter-interval <ms>] [--energy-scale <factor>] [--refuse-remote-start] [--ignore-commands]`;

let values: {
  station?: string;
  protocol?: string;
  gateway?: string;
  ocpp?: string;
  id?: string;
  'meter-interval'?: string;
  'energy-scale'?: string;
  'refuse-remote-start'?: boolean;
  'ignore-commands'?: boolean;
  help?: boolean;
};
try {
  ({ values } = parseArgs({
    options: {
      station: { type: 'string' },
      protocol: { type: 'string', default: 'ocpp1.6' },
      gateway: { type: 'string', default: `http://localhost:${config.GATEWAY_PORT}/graphql` },
      ocpp: { type: 'string', default: `ws://localhost:${config.OCPP_PORT}/ocpp` },
      id: { type: 'string' },
      'meter-interval': { type: 'string', default: '1000' },
      'energy-scale': { type: 'string', default: '1' },
      'refuse-remote-start': { type: 'boolean', default: false },
      'ignore-commands': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  }));
} catch (error) {
  console.error(`${(error as Error).message}\n${usage}`);
  process.exit(64);
}
if (values.help) {
  console.log(usage);
  process.exit(0);
}
const protocol = OCPP_PROTOCOLS.find((p): p is OcppProtocol => p === values.protocol);
const meterIntervalMs = Number(values['meter-interval']);
const energyScale = Number(values['energy-scale']);
if (!values.station || !protocol || !(meterIntervalMs > 0) || !(energyScale > 0)) {
  console.error(usage);
  process.exit(64);
}

const say = (line: string) => console.log(`[charger ${new Date().toISOString().slice(11, 23)}] ${line}`);
const fail = (line: string): never => {
  console.error(`[charger] ${line}`);
  process.exit(1);
};

const admin = graphqlCaller(
  values.gateway!,
  await signDevToken({ role: Role.PLATFORM_ADMIN, sub: 'dev-charger' }, config.JWT_SECRET),
);
const chargePoint = await ensureChargePoint(admin, values.station, values.id).catch((error: unknown) =>
  fail(
    `cannot register a charge point for station ${values.station} at ${values.gateway}: ${(error as Error).message}`,
  ),
);
say(
  `${chargePoint.registered ? 'registered' : 'rotated the password of'} charge point ${chargePoint.chargePointId} for station "${chargePoint.stationName}" (${chargePoint.stationId})`,
);
say(`  password (shown once): ${chargePoint.password}`);
if (chargePoint.connectors.length === 0) fail('the station has no connectors');

const charger = new SimulatedCharger({
  url: values.ocpp!,
  chargePointId: chargePoint.chargePointId,
  password: chargePoint.password,
  protocol,
  connectors: chargePoint.connectors.length,
  powerKw: chargePoint.connectors.map((c) => c.powerKw),
  meterIntervalMs,
  energyScale,
  refuseRemoteStart: values['refuse-remote-start'],
  ignoreCommands: values['ignore-commands'],
  log: say,
});
charger.on('meterValues', (m) =>
  say(`connector ${m.connector}: transaction ${m.transactionId} at ${m.energyRegisterWh} Wh (+${m.energyWh} Wh)`),
);
// Before connecting: Ctrl-C at any moment disconnects cleanly.
let stopping = false;
async function shutdown(): Promise<void> {
  if (stopping) return;
  stopping = true;
  say('disconnecting');
  await charger.close();
  process.exit(0);
}
process.on('SIGINT', () => void shutdown());
process.on('SIGTERM', () => void shutdown());

say(`connecting to ${values.ocpp}/${chargePoint.chargePointId} with ${protocol}…`);
await charger.start().catch((error: unknown) => (stopping ? undefined : fail((error as Error).message)));
say(
  `ready: ${chargePoint.connectors.map((c) => `connector ${c.ocppConnectorId} ${c.powerKw} kW`).join(', ')}. ` +
    `Start a session in the app, or type: plug <connector> <idTag> | unplug <connector> | stop <connector> | status | quit`,
);

const input = createInterface({ input: process.stdin, terminal: false });
input.on('line', (line) => {
  const [command, first, second] = line.trim().split(/\s+/);
  const connector = Number(first);
  const run = async () => {
    switch (command) {
      case '':
      case undefined:
        return;
      case 'plug': {
        if (!second) return say('usage: plug <connector> <idTag>');
        const result = await charger.plugInAndPresentTag(connector, second);
        return say(result.accepted ? 'charging' : `refused at ${result.stage}: ${result.status}`);
      }
      case 'unplug':
        await charger.unplug(connector);
        return;
      case 'stop':
        await charger.stopLocally(connector);
        return;
      case 'status':
        for (const c of chargePoint.connectors) {
          const transaction = charger.transaction(c.ocppConnectorId);
          say(
            `connector ${c.ocppConnectorId}: ${charger.status(c.ocppConnectorId)}${transaction ? ` (transaction ${transaction.transactionId}, ${transaction.idTag})` : ''}, meter ${charger.energyRegisterWh(c.ocppConnectorId)} Wh`,
          );
        }
        return;
      case 'quit':
      case 'exit':
        return shutdown();
      default:
        say(`unknown command ${command}`);
    }
  };
  run().catch((error: unknown) => say(`${command} failed: ${(error as Error).message}`));
});
// stdin closing (e.g. started from a script) is not a reason to stop charging.
input.on('close', () => undefined);
