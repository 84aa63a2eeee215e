import WebSocket from 'ws';
import { expect } from 'vitest';

/** A graphql-transport-ws message as the server sends it. */
export interface LiveMessage {
  type: string;
  id?: string;
  payload?: {
    data?: Record<string, unknown> | null;
    errors?: Array<{ message: string; path?: Array<string | number>; extensions?: Record<string, unknown> }>;
  } & Array<{ message: string; extensions?: Record<string, unknown> }>;
}

export interface Closed {
  code: number;
  reason: string;
}

/**
 * The graphql-transport-ws protocol by hand over `ws`, for tests that look at each message and close code (the
 * graphql-ws client hides them behind retries and sinks).
 */
export class LiveSocket {
  readonly closed: Promise<Closed>;
  private readonly queues = new Map<string, LiveMessage[]>();
  private readonly waiters = new Map<string, () => void>();

  private constructor(private readonly socket: WebSocket) {
    this.closed = new Promise<Closed>((resolve) =>
      socket.once('close', (code, reason) => {
        resolve({ code, reason: reason.toString() });
        for (const wake of this.waiters.values()) wake();
      }),
    );
    socket.on('message', (data: Buffer) => {
      const message = JSON.parse(data.toString()) as LiveMessage;
      const key = message.id ?? `:${message.type}`;
      let queue = this.queues.get(key);
      if (!queue) this.queues.set(key, (queue = []));
      queue.push(message);
      this.waiters.get(key)?.();
    });
  }

  /** Opens a connection and sends `connection_init`; resolves with the socket once acknowledged, or how it closed. */
  static async open(
    graphqlUrl: string,
    connectionParams?: Record<string, unknown>,
  ): Promise<{ socket: LiveSocket } | { closed: Closed }> {
    const ws = new WebSocket(graphqlUrl.replace(/^http/, 'ws'), 'graphql-transport-ws');
    const live = new LiveSocket(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    ws.send(JSON.stringify({ type: 'connection_init', ...(connectionParams ? { payload: connectionParams } : {}) }));
    const acked = await Promise.race([live.take(':connection_ack', 10_000).then(() => undefined), live.closed]);
    return acked ? { closed: acked } : { socket: live };
  }

  subscribe(id: string, query: string, variables?: Record<string, unknown>, operationName?: string): void {
    this.socket.send(JSON.stringify({ id, type: 'subscribe', payload: { query, variables, operationName } }));
  }

  complete(id: string): void {
    this.socket.send(JSON.stringify({ id, type: 'complete' }));
  }

  /** The next message for `id` (next, error or complete); throws after `timeoutMs` or when the socket closed. */
  async take(id: string, timeoutMs = 10_000): Promise<LiveMessage> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const queued = this.queues.get(id)?.shift();
      if (queued) return queued;
      if (this.socket.readyState === WebSocket.CLOSED) throw new Error(`socket closed while waiting for ${id}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no message for ${id} within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.set(id, () => {
          clearTimeout(timer);
          resolve();
        });
      });
      this.waiters.delete(id);
    }
  }

  /** Messages for `id` received and not taken yet. */
  queued(id: string): LiveMessage[] {
    return [...(this.queues.get(id) ?? [])];
  }

  close(): void {
    this.socket.close(1000);
  }
}

/** The live session subscription the app uses, with the fields the tests read. */
export const LIVE_SESSION = `subscription Live($id: ID!) { chargingSessionUpdated(id: $id) { id status energyWh cost { total { amount currency } } } }`;

export interface LiveSessionView {
  id: string;
  status: string;
  energyWh: number;
  cost: { total: { amount: number; currency: string } };
}

/** The session of a `next` message; any other message, or one with errors, fails the test. */
export function liveSessionOf(message: LiveMessage): LiveSessionView {
  expect(message.type).toBe('next');
  expect(message.payload?.errors).toBeUndefined();
  return message.payload?.data?.chargingSessionUpdated as LiveSessionView;
}

/** Takes `next` messages for `id` until one satisfies `done`. */
export async function liveSessionUntil(
  socket: LiveSocket,
  id: string,
  done: (session: LiveSessionView) => boolean,
): Promise<LiveSessionView> {
  for (;;) {
    const session = liveSessionOf(await socket.take(id));
    if (done(session)) return session;
  }
}

/** A live connection as `authorization` (a Bearer header value); a refused one fails the test with how it closed. */
export async function openLiveAs(graphqlUrl: string, authorization: string): Promise<LiveSocket> {
  const opened = await LiveSocket.open(graphqlUrl, { authorization });
  if (!('socket' in opened)) throw new Error(`refused: ${opened.closed.code} ${opened.closed.reason}`);
  return opened.socket;
}
