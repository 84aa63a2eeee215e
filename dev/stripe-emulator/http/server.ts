import { createServer, type Server } from 'node:http';
import type { Socket } from 'node:net';
import type { Emulator } from '../emulator.js';
import { handleRequest } from './pipeline.js';

export interface RunningServer {
  port: number;
  close(): Promise<void>;
}

/**
 * Listens with node:http. Open sockets are tracked so close() also ends keep-alive connections and
 * requests held open by a `timeout` fault.
 */
export async function listen(emulator: Emulator, host: string, port: number): Promise<RunningServer> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => void handleRequest(emulator, req, res));
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the emulator server has no TCP address');
  return {
    port: address.port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        for (const socket of sockets) socket.destroy();
      }),
  };
}
