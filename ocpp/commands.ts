import { randomUUID } from 'node:crypto';
import express, { type Router } from 'express';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { Bus } from '../platform/bus.js';
import {
  CHARGER_COMMAND_PATH,
  type ChargerCommand,
  type ChargerCommandFailure,
  type ChargerCommandResult,
} from '../platform/charger-commands.js';
import { ErrorCode } from '../platform/errors.js';
import { Role, type Identity } from '../platform/identity.js';
import type { ReplayGuard } from '../platform/replay-guard.js';
import { signedCallerOnly } from '../platform/signed-caller.js';
import type { OcppSettings } from './config.js';
import { CLOSE, type Connection, type ConnectionRegistry } from './connections.js';
import { RPCError, TimeoutError } from './errors.js';
import { ocppMetrics } from './metrics.js';
import { send16 } from './ocpp16.js';
import { send201 } from './ocpp201.js';

export type CommandOutcome =
  { kind: 'result'; result: ChargerCommandResult } | { kind: 'unavailable' } | { kind: 'timeout' };

const commandSchema = z.discriminatedUnion('action', [
  z.object({
    action: z.literal('StartCharging'),
    ocppConnectorId: z.number().int().min(1).max(1_000),
    idTag: z.string().min(1).max(36),
    remoteStartId: z.number().int(),
  }),
  z.object({ action: z.literal('StopCharging'), transactionId: z.string().min(1).max(36) }),
  z.object({ action: z.literal('Disconnect'), reason: z.string().max(200) }),
]);
const requestSchema = z.object({ chargePointId: z.string().min(1).max(100), command: commandSchema });

/** On bus `ocpp_command`: a command for the replica holding the charger, or a replica claiming a new connection. */
const busCommandSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('command'),
    requestId: z.string(),
    from: z.string(),
    chargePointId: z.string(),
    command: commandSchema,
  }),
  z.object({
    type: z.literal('claim'),
    replicaId: z.string(),
    chargePointId: z.string(),
    connectedAt: z.number(),
  }),
]);
/** On bus `ocpp_reply`: `ack` (I hold it, executing), then the outcome. */
const busReplySchema = z.object({
  requestId: z.string(),
  to: z.string(),
  status: z.enum(['ack', 'result', 'unavailable', 'timeout']),
  result: z.object({ accepted: z.boolean(), detail: z.string().optional() }).optional(),
});
type BusReply = z.infer<typeof busReplySchema>;

interface Waiting {
  acked: boolean;
  timer: NodeJS.Timeout;
  resolve(outcome: CommandOutcome): void;
}

/**
 * Commands for charge points, from any replica: executed here when this replica holds the charger's socket, else
 * published on the bus (`ocpp_command`); the replica holding it acknowledges at once, executes and publishes the
 * outcome (`ocpp_reply`). No acknowledgement within OCPP_ROUTE_TIMEOUT_MS → nobody holds it (unavailable).
 */
export class CommandRouter {
  readonly replicaId = randomUUID();
  private readonly waiting = new Map<string, Waiting>();
  private unsubscribe: Array<() => void> = [];

  constructor(
    private readonly connections: ConnectionRegistry,
    private readonly bus: Bus,
    private readonly settings: OcppSettings,
    private readonly logger: Logger,
  ) {}

  async start(): Promise<void> {
    this.unsubscribe = [
      await this.bus.subscribe('ocpp_command', (payload) => void this.onBusCommand(payload)),
      await this.bus.subscribe('ocpp_reply', (payload) => this.onBusReply(payload)),
    ];
  }

  /** Another replica (or this one) took a new connection of this charger: older sockets elsewhere are stale. */
  async claim(connection: Pick<Connection, 'chargePointId' | 'connectedAt'>): Promise<void> {
    const { chargePointId, connectedAt } = connection;
    await this.bus
      .publish('ocpp_command', { type: 'claim', replicaId: this.replicaId, chargePointId, connectedAt })
      .catch((error: unknown) => this.logger.warn({ err: error, chargePointId }, 'could not claim a charger'));
  }

  async execute(chargePointId: string, command: ChargerCommand): Promise<CommandOutcome> {
    const started = performance.now();
    const local = this.connections.get(chargePointId);
    const outcome = local ? await this.executeLocal(local, command) : await this.executeRemote(chargePointId, command);
    ocppMetrics().commandDuration.observe(
      {
        action: command.action,
        outcome: outcome.kind === 'result' ? (outcome.result.accepted ? 'accepted' : 'rejected') : outcome.kind,
      },
      (performance.now() - started) / 1000,
    );
    this.logger.info({ chargePointId, action: command.action, local: Boolean(local), outcome }, 'charger command');
    return outcome;
  }

  async executeLocal(connection: Connection, command: ChargerCommand): Promise<CommandOutcome> {
    if (command.action === 'Disconnect') {
      await connection.close('command', CLOSE.NORMAL, command.reason || 'Closed by the platform');
      return { kind: 'result', result: { accepted: true, detail: 'Disconnected' } };
    }
    const timeoutMs = this.settings.OCPP_COMMAND_TIMEOUT_MS;
    try {
      const result =
        connection.protocol === 'ocpp1.6'
          ? await send16(connection, command, timeoutMs)
          : await send201(connection, command, timeoutMs);
      return { kind: 'result', result };
    } catch (error) {
      if (error instanceof TimeoutError) return { kind: 'timeout' };
      // The charger answered with a CALLERROR (or its answer broke the schema): not accepted.
      if (error instanceof RPCError)
        return { kind: 'result', result: { accepted: false, detail: `${error.rpcErrorCode}: ${error.message}` } };
      // The socket closed before it answered.
      connection.logger.info({ reason: (error as Error).message }, 'command not delivered');
      return { kind: 'unavailable' };
    }
  }

  async close(): Promise<void> {
    for (const stop of this.unsubscribe) stop();
    for (const [id, waiting] of this.waiting) {
      clearTimeout(waiting.timer);
      waiting.resolve({ kind: 'unavailable' });
      this.waiting.delete(id);
    }
  }

  private executeRemote(chargePointId: string, command: ChargerCommand): Promise<CommandOutcome> {
    const requestId = randomUUID();
    return new Promise<CommandOutcome>((resolve) => {
      const finish = (outcome: CommandOutcome) => {
        const waiting = this.waiting.get(requestId);
        if (!waiting) return;
        clearTimeout(waiting.timer);
        this.waiting.delete(requestId);
        resolve(outcome);
      };
      this.waiting.set(requestId, {
        acked: false,
        timer: setTimeout(() => finish({ kind: 'unavailable' }), this.settings.OCPP_ROUTE_TIMEOUT_MS),
        resolve: finish,
      });
      this.bus
        .publish('ocpp_command', { type: 'command', requestId, from: this.replicaId, chargePointId, command })
        .catch((error: unknown) => {
          this.logger.warn({ err: error }, 'could not publish a charger command');
          finish({ kind: 'unavailable' });
        });
    });
  }

  private onBusReply(payload: unknown): void {
    const parsed = busReplySchema.safeParse(payload);
    if (!parsed.success || parsed.data.to !== this.replicaId) return;
    const reply = parsed.data;
    const waiting = this.waiting.get(reply.requestId);
    if (!waiting) return;
    if (reply.status === 'ack') {
      if (waiting.acked) return;
      waiting.acked = true;
      clearTimeout(waiting.timer);
      // The holder waits OCPP_COMMAND_TIMEOUT_MS for the charger; we allow it a little more to tell us.
      waiting.timer = setTimeout(
        () => waiting.resolve({ kind: 'timeout' }),
        this.settings.OCPP_COMMAND_TIMEOUT_MS + 1_000,
      );
      return;
    }
    if (reply.status === 'result' && reply.result) waiting.resolve({ kind: 'result', result: reply.result });
    else waiting.resolve({ kind: reply.status === 'timeout' ? 'timeout' : 'unavailable' });
  }

  private async onBusCommand(payload: unknown): Promise<void> {
    const parsed = busCommandSchema.safeParse(payload);
    if (!parsed.success) return void this.logger.warn('malformed ocpp_command message on the bus; dropped');
    const message = parsed.data;
    const connection = this.connections.get(message.chargePointId);
    if (!connection) return;
    if (message.type === 'claim') {
      // A claim delayed on the bus must not close the newer socket that made it stale.
      if (message.replicaId === this.replicaId || connection.connectedAt > message.connectedAt) return;
      connection.logger.info('charger connected to another replica; closing the stale socket here');
      await connection.close('replaced', CLOSE.REPLACED, 'Connected elsewhere').catch(() => {});
      return;
    }
    const reply = (fields: Omit<BusReply, 'requestId' | 'to'>) =>
      this.bus
        .publish('ocpp_reply', { requestId: message.requestId, to: message.from, ...fields })
        .catch((error: unknown) => this.logger.warn({ err: error }, 'could not publish a command reply'));
    await reply({ status: 'ack' });
    const outcome = await this.executeLocal(connection, message.command);
    await reply(outcome.kind === 'result' ? { status: 'result', result: outcome.result } : { status: outcome.kind });
  }
}

export interface CommandRouteOptions {
  router: CommandRouter;
  secrets: string[];
  replayGuard: ReplayGuard;
  logger: Logger;
}

const failure = (code: ChargerCommandFailure['error']['code'], message: string): ChargerCommandFailure => ({
  error: { code, message },
});

/** POST /commands: signed service callers only; answers {accepted, detail}, 409 CHARGER_UNAVAILABLE or 504 CHARGER_TIMEOUT. */
export function commandRoutes({ router, secrets, replayGuard, logger }: CommandRouteOptions): Router {
  const routes = express.Router();
  routes.post(
    CHARGER_COMMAND_PATH,
    ...signedCallerOnly({ secrets, replayGuard, logger, bodyLimit: '16kb' }),
    async (req, res, next) => {
      const identity = res.locals.identity as Identity | undefined;
      if (identity?.role !== Role.SERVICE)
        return void res
          .status(403)
          .json({ error: { code: ErrorCode.FORBIDDEN, message: 'Only platform services send charger commands.' } });
      const parsed = requestSchema.safeParse(req.body);
      if (!parsed.success)
        return void res.status(400).json({
          error: { code: ErrorCode.BAD_USER_INPUT, message: `Invalid command: ${parsed.error.issues[0]?.message}` },
        });
      try {
        const { chargePointId, command } = parsed.data;
        const outcome = await router.execute(chargePointId, command);
        if (outcome.kind === 'result') return void res.json(outcome.result);
        if (outcome.kind === 'timeout')
          return void res
            .status(504)
            .json(failure(ErrorCode.CHARGER_TIMEOUT, `Charge point ${chargePointId} did not answer in time.`));
        res.status(409).json(failure(ErrorCode.CHARGER_UNAVAILABLE, `Charge point ${chargePointId} is not connected.`));
      } catch (error) {
        next(error);
      }
    },
  );
  return routes;
}
