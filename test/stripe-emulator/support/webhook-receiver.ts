import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';

export interface Delivery {
  body: string;
  signature: string;
}

/** A local webhook endpoint that records raw deliveries and can fail or stall on demand. */
export class WebhookReceiver {
  readonly deliveries: Delivery[] = [];
  private failures = 0;
  private stall: Promise<void> | undefined;
  private readonly server = createServer((req, res) => void this.handle(req, res));

  static async start(): Promise<WebhookReceiver> {
    const receiver = new WebhookReceiver();
    await new Promise<void>((resolve) => receiver.server.listen(0, '127.0.0.1', resolve));
    return receiver;
  }

  get url(): string {
    const address = this.server.address();
    if (address === null || typeof address === 'string') throw new Error('receiver is not listening');
    return `http://127.0.0.1:${address.port}/webhooks`;
  }

  /** Answer the next `count` deliveries with HTTP 500. */
  failNext(count: number): void {
    this.failures = count;
  }

  /** Hold every delivery until the returned function is called. */
  stallDeliveries(): () => void {
    let release = (): void => {};
    this.stall = new Promise((resolve) => {
      release = resolve;
    });
    return () => {
      this.stall = undefined;
      release();
    };
  }

  /** Parsed event bodies of the successful deliveries, in arrival order. */
  events(): Array<{ id: string; type: string; account?: string }> {
    return this.deliveries.map(
      (delivery) => JSON.parse(delivery.body) as { id: string; type: string; account?: string },
    );
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    await this.stall;
    if (this.failures > 0) {
      this.failures -= 1;
      res.writeHead(500).end('receiver failure');
      return;
    }
    this.deliveries.push({
      body: Buffer.concat(chunks).toString('utf8'),
      signature: String(req.headers['stripe-signature']),
    });
    res.writeHead(200).end('ok');
  }
}
