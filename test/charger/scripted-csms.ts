import type { AddressInfo } from 'node:net';
import { RPCServer } from 'ocpp-rpc';
import type * as serverClient from 'ocpp-rpc/lib/server-client.js';

type ServerClient = serverClient.default;

export interface Received {
  identity: string;
  method: string;
  params: Record<string, unknown>;
}

/**
 * A tiny scripted CSMS on ocpp-rpc's own server (strict mode: every frame the simulator sends is checked against the
 * official schemas on this side too). It accepts the boot with a 1 s heartbeat, assigns 1.6 transaction ids from 42,
 * accepts tags starting with GOOD or APP and calls anything else Invalid.
 */
export class ScriptedCsms {
  readonly received: Received[] = [];
  readonly clients = new Map<string, ServerClient>();
  private readonly server = new RPCServer({ protocols: ['ocpp1.6', 'ocpp2.0.1'], strictMode: true });
  private nextTransactionId = 42;
  /** Methods whose next call is answered only when the test releases it. */
  private readonly gates = new Map<string, { arrived: () => void; released: Promise<void> }>();
  url = '';

  async listen(): Promise<void> {
    this.server.auth((accept, reject, handshake) => {
      if (handshake.password?.toString('utf8') === 'secret') accept({});
      else reject(401, 'bad credentials');
    });
    this.server.on('client', (client: ServerClient) => {
      this.clients.set(client.identity!, client);
      const tagStatus = (tag: string) => (/^(GOOD|APP)/.test(tag) ? 'Accepted' : 'Invalid');
      client.handle(async ({ method, params }) => {
        this.received.push({ identity: client.identity!, method: method!, params: params ?? {} });
        const gate = this.gates.get(method!);
        if (gate) {
          this.gates.delete(method!);
          gate.arrived();
          await gate.released;
        }
        const p = params ?? {};
        switch (method) {
          case 'BootNotification':
            return { status: 'Accepted', interval: 1, currentTime: new Date().toISOString() };
          case 'Heartbeat':
            return { currentTime: new Date().toISOString() };
          case 'Authorize':
            return client.protocol === 'ocpp1.6'
              ? { idTagInfo: { status: tagStatus(String(p.idTag)) } }
              : { idTokenInfo: { status: tagStatus(String(p.idToken.idToken)) } };
          case 'StartTransaction':
            return { transactionId: this.nextTransactionId++, idTagInfo: { status: tagStatus(String(p.idTag)) } };
          case 'TransactionEvent':
            return p.eventType === 'Started' ? { idTokenInfo: { status: tagStatus(String(p.idToken.idToken)) } } : {};
          default:
            return {};
        }
      });
    });
    const http = await this.server.listen(0, '127.0.0.1');
    this.url = `ws://127.0.0.1:${(http.address() as AddressInfo).port}/ocpp`;
  }

  /**
   * Holds back the answer to the next `method` call: `arrived` resolves when it is in, and the answer goes out once
   * `release` is called.
   */
  holdNext(method: string): { arrived: Promise<void>; release: () => void } {
    let release!: () => void;
    let arrived!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const isIn = new Promise<void>((resolve) => (arrived = resolve));
    this.gates.set(method, { arrived, released });
    return { arrived: isIn, release };
  }

  /** What one charge point sent, optionally of one action. */
  from(identity: string, method?: string): Received[] {
    return this.received.filter((r) => r.identity === identity && (!method || r.method === method));
  }

  command(identity: string, method: string, params: Record<string, unknown>, callTimeoutMs = 5_000) {
    return this.clients.get(identity)!.call(method, params, { callTimeoutMs }) as Promise<{ status: string }>;
  }

  close(): Promise<void> {
    return this.server.close({ force: true });
  }
}
