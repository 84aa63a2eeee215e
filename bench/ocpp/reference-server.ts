/**
 * ocpp-rpc's own RPCServer with trivial OCPP 1.6 handlers (strict mode, Basic auth `pw-<id>`), for
 * `self-test.ts`: the load generator measured against a server that does no platform work.
 * `node --import tsx bench/ocpp/reference-server.ts <port> <heartbeatIntervalS> <ackTickMs>`; MeterValues are
 * acknowledged in batches every ackTickMs (0 = at once), as the OCPP process applies them once per tick.
 */
import { RPCServer } from 'ocpp-rpc';

const [portArg = '4890', intervalArg = '30', tickArg = '0'] = process.argv.slice(2);
const tickMs = Number(tickArg);
const server = new RPCServer({ protocols: ['ocpp1.6'], strictMode: true });
server.auth((accept, reject, handshake) => {
  if (handshake.password?.toString() === `pw-${handshake.identity}`) accept({});
  else reject(401, 'unknown charge point or wrong password');
});
let waiting: Array<() => void> = [];
if (tickMs > 0)
  setInterval(() => {
    const batch = waiting;
    waiting = [];
    for (const release of batch) release();
  }, tickMs);
let transactionId = 0;
server.on('client', (client) => {
  client.handle('BootNotification', () => ({
    status: 'Accepted',
    interval: Number(intervalArg),
    currentTime: new Date().toISOString(),
  }));
  client.handle('Heartbeat', () => ({ currentTime: new Date().toISOString() }));
  client.handle('StatusNotification', () => ({}));
  client.handle('Authorize', () => ({ idTagInfo: { status: 'Accepted' } }));
  client.handle('StartTransaction', () => ({ transactionId: ++transactionId, idTagInfo: { status: 'Accepted' } }));
  client.handle('MeterValues', () =>
    tickMs > 0 ? new Promise<object>((resolve) => waiting.push(() => resolve({}))) : {},
  );
});
await server.listen(Number(portArg), '127.0.0.1');
console.log(`listening on ${portArg}`);
for (const signal of ['SIGTERM', 'SIGINT'] as const)
  process.once(signal, () => void server.close({ code: 1012, reason: 'stopping' }).then(() => process.exit(0)));
