import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { DEV_SUBGRAPH_SECRET } from '../../../platform/config.js';
import type { ChargerCommand } from '../../../platform/charger-commands.js';
import { hashBody, IDENTITY_HEADER, IdentityVerifier, type Identity } from '../../../platform/identity.js';
import { newId } from '../../../platform/ids.js';

/*
 * Stand-ins for what the session subgraph talks to, for tests that need control the real processes do not give:
 *  - FakeCharger plays the OCPP process's POST /commands (checks the signature and body hash; answers Accepted,
 *    Rejected, CHARGER_UNAVAILABLE or nothing, as the test says);
 *  - FakeUpstreams answers the station, operator and payment subgraphs' calls with facts the test sets, and records
 *    every payment and connector call.
 */

type Answer = { status: number; json: unknown } | 'hang';
type Handler = (body: string, req: http.IncomingMessage) => Answer | Promise<Answer>;

async function serve(handler: Handler): Promise<{ server: http.Server; url: string }> {
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    req.on('end', () => {
      void Promise.resolve(handler(body, req)).then((answer) => {
        if (answer === 'hang') return; // never answers: the caller's deadline runs out
        res.statusCode = answer.status;
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify(answer.json));
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

const close = (server?: http.Server) =>
  new Promise<void>((resolve) => {
    if (!server) return resolve();
    server.closeAllConnections();
    server.close(() => resolve());
  });

export type ChargerAnswer = 'Accepted' | 'Rejected' | 'Unavailable' | 'Timeout';

export interface ReceivedCommand {
  chargePointId: string;
  command: ChargerCommand;
  caller: Identity;
}

export class FakeCharger {
  readonly commands: ReceivedCommand[] = [];
  /** What the next commands get (per action); default Accepted. */
  answers: Partial<Record<ChargerCommand['action'], ChargerAnswer>> = {};
  unsigned = 0;
  private server?: http.Server;
  private readonly verifier = new IdentityVerifier([DEV_SUBGRAPH_SECRET]);
  /** Called for each accepted command (e.g. to confirm a start like a real charger would). */
  onCommand?: (command: ReceivedCommand) => void;
  /** Awaited before an Accepted answer goes back (e.g. the charger reports the stop first, as across replicas). */
  beforeAnswer?: (command: ReceivedCommand) => Promise<void>;

  async listen(): Promise<string> {
    const { server, url } = await serve((body, req) => {
      if (req.method !== 'POST' || req.url !== '/commands') return { status: 404, json: {} };
      const header = req.headers[IDENTITY_HEADER];
      try {
        const call = this.verifier.verify(String(header));
        if (call.bodyHash !== hashBody(body)) throw new Error('body hash');
        const request = JSON.parse(body) as { chargePointId: string; command: ChargerCommand };
        const received = { ...request, caller: call.identity };
        this.commands.push(received);
        const answer = this.answers[request.command.action] ?? 'Accepted';
        if (answer === 'Timeout') return 'hang';
        if (answer === 'Unavailable')
          return { status: 409, json: { error: { code: 'CHARGER_UNAVAILABLE', message: 'not connected' } } };
        if (answer === 'Accepted') setImmediate(() => this.onCommand?.(received));
        const result = { status: 200, json: { accepted: answer === 'Accepted', detail: answer } };
        const before = answer === 'Accepted' ? this.beforeAnswer : undefined;
        return before ? before(received).then(() => result) : result;
      } catch {
        this.unsigned++;
        return { status: 401, json: { error: { code: 'UNAUTHENTICATED' } } };
      }
    });
    this.server = server;
    return url;
  }

  close = () => close(this.server);
}

export interface FakeConnector {
  id: string;
  status: string;
  ocppConnectorId: number;
  powerKw: number;
}

export interface FakeStation {
  id: string;
  operatorId: string;
  connectors: FakeConnector[];
  chargePoint: { chargePointId: string; connected: boolean; lastSeenAt: string | null } | null;
  preAuthorization: number;
}

export interface FakePayment {
  id: string;
  status: string;
  authorizedAmount: { amount: number; currency: string } | null;
}

export class FakeUpstreams {
  readonly stations = new Map<string, FakeStation>();
  readonly operators = new Map<string, { status: string; postPaid: boolean }>();
  /** The payment subgraph: one payment per session. */
  readonly payments = new Map<string, FakePayment>();
  readonly calls: Array<{ op: string; variables: Record<string, unknown> }> = [];
  /** What placeSessionHold does next: authorise, decline, 3-D Secure. */
  hold: 'AUTHORIZED' | 'DECLINED' | 'REQUIRES_ACTION' = 'AUTHORIZED';
  increment: 'yes' | 'no' = 'yes';
  charge: 'ok' | 'DECLINED' | 'DOWN' = 'ok';
  /** What a hold authorises. */
  holdAmount = 5000;
  private server?: http.Server;

  async listen(): Promise<string> {
    const { server, url } = await serve((body) => {
      const { query, variables } = JSON.parse(body) as { query: string; variables: Record<string, unknown> };
      try {
        return { status: 200, json: this.answer(query, variables) };
      } catch (error) {
        return { status: 200, json: error };
      }
    });
    this.server = server;
    return `${url}/graphql`;
  }

  close = () => close(this.server);

  callsOf(op: string, sessionId?: string) {
    return this.calls.filter(
      (c) =>
        c.op === op &&
        (!sessionId ||
          c.variables.sessionId === sessionId ||
          (c.variables.input as { sessionId?: string } | undefined)?.sessionId === sessionId),
    );
  }

  addStation(options: { charger?: boolean; connectors?: number; preAuthorization?: number; postPaid?: boolean } = {}) {
    const operatorId = newId();
    this.operators.set(operatorId, { status: 'ACTIVE', postPaid: options.postPaid ?? false });
    const station: FakeStation = {
      id: newId(),
      operatorId,
      connectors: Array.from({ length: options.connectors ?? 2 }, (_, i) => ({
        id: newId(),
        status: 'AVAILABLE',
        ocppConnectorId: i + 1,
        powerKw: 22,
      })),
      chargePoint:
        options.charger === false
          ? null
          : { chargePointId: `CP-${newId().slice(-8)}`, connected: true, lastSeenAt: new Date().toISOString() },
      preAuthorization: options.preAuthorization ?? 5000,
    };
    this.stations.set(station.id, station);
    return station;
  }

  private answer(query: string, variables: Record<string, unknown>): unknown {
    const op = /\{\s*(\w+)/.exec(query.replace(/^[^{]*/, ''))?.[1] ?? '';
    this.calls.push({ op, variables });
    const sessionId = String(variables.sessionId ?? '');
    switch (op) {
      case '_entities': {
        const reps = variables.representations as Array<{ __typename: string; id: string }>;
        return { data: { _entities: reps.map((r) => this.entity(r.__typename, r.id)) } };
      }
      case 'markConnectorSession':
        return { data: { markConnectorSession: true } };
      case 'placeSessionHold': {
        if (this.hold === 'DECLINED')
          throw {
            data: null,
            errors: [
              {
                message: 'Your card was declined.',
                extensions: { code: 'PAYMENT_DECLINED', declineCode: 'generic_decline' },
              },
            ],
          };
        const payment: FakePayment = {
          id: newId(),
          status: this.hold,
          authorizedAmount: this.hold === 'AUTHORIZED' ? { amount: this.holdAmount, currency: 'EUR' } : null,
        };
        this.payments.set(sessionId, payment);
        return { data: { placeSessionHold: payment } };
      }
      case 'releaseSessionHold': {
        const payment = this.payments.get(sessionId);
        if (payment && payment.status !== 'SUCCEEDED') payment.status = 'CANCELED';
        return { data: { releaseSessionHold: payment ?? null } };
      }
      case 'incrementSessionHold': {
        const payment = this.payments.get(sessionId);
        const amount = Number(variables.amount);
        if (this.increment === 'yes' && payment?.authorizedAmount) payment.authorizedAmount.amount = amount;
        return {
          data: {
            incrementSessionHold: {
              incremented: this.increment === 'yes',
              authorizedAmount: payment?.authorizedAmount?.amount ?? 0,
              reason: this.increment === 'yes' ? null : 'card does not support incremental authorization',
            },
          },
        };
      }
      case 'chargeSession': {
        if (this.charge === 'DOWN')
          return { data: null, errors: [{ message: 'down', extensions: { code: 'PAYMENT_PROVIDER_UNAVAILABLE' } }] };
        if (this.charge === 'DECLINED')
          throw {
            data: null,
            errors: [{ message: 'Your card was declined.', extensions: { code: 'PAYMENT_DECLINED' } }],
          };
        const payment = this.payments.get(sessionId) ?? { id: newId(), status: 'PENDING', authorizedAmount: null };
        payment.status = 'SUCCEEDED';
        this.payments.set(sessionId, payment);
        return { data: { chargeSession: payment } };
      }
      default:
        throw { data: null, errors: [{ message: `unexpected ${op}` }] };
    }
  }

  private entity(typename: string, id: string): unknown {
    if (typename === 'Operator') {
      const operator = this.operators.get(id);
      return operator ? { ...operator } : null;
    }
    if (typename === 'ChargingSession') {
      return { payment: this.payments.get(id) ?? null };
    }
    const station = this.stations.get(id);
    if (!station) return null;
    return {
      id: station.id,
      operator: { id: station.operatorId },
      timezone: 'Europe/Berlin',
      tariff: {
        id: newId(),
        currency: 'EUR',
        energyPricePerKwh: '0.5',
        timePricePerHour: '0',
        sessionFee: { amount: 0, currency: 'EUR' },
        taxRateBasisPoints: 0,
        preAuthorization: { amount: station.preAuthorization, currency: 'EUR' },
      },
      connectors: station.connectors,
      chargePoints: station.chargePoint ? [{ id: newId(), ...station.chargePoint }] : [],
    };
  }
}
