/**
 * What every process does for operators: a request id on every request and log line, HTTP metrics, a readiness
 * gate and in-flight tracking for graceful shutdown, and OpenTelemetry traces (exported only when
 * OTEL_EXPORTER_OTLP_ENDPOINT is set).
 *
 * Request id: `x-request-id` from the caller when it is well formed, else a new UUID; answered in the response header,
 * forwarded by the gateway to every subgraph fetch, and attached to every log line written while the request is
 * served (including the payment provider's logs of its Stripe calls) through an AsyncLocalStorage and pino's mixin.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import { context, propagation, SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { pino, type Logger } from 'pino';
import { processMetrics, routeLabel } from './metrics.js';

export const REQUEST_ID_HEADER = 'x-request-id';
const WELL_FORMED_ID = /^[A-Za-z0-9._:-]{1,128}$/;

interface RequestStore {
  requestId: string;
}

const requestStore = new AsyncLocalStorage<RequestStore>();

/** The id of the request being served by this async flow, if any. */
export const currentRequestId = (): string | undefined => requestStore.getStore()?.requestId;

/** Runs `work` as part of a request (its log lines carry the id). */
export const withRequestId = <T>(requestId: string, work: () => T): T => requestStore.run({ requestId }, work);

/** Structured JSON logs whose lines carry the current request id. */
export function createProcessLogger(name: string, level: string = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino({
    name,
    level,
    redact: ['req.headers.authorization', '*.secret', '*.token'],
    mixin: (_merge, _level, logger) => {
      const requestId = currentRequestId();
      // A child logger bound to the request (a resolver's ctx.logger) already carries it.
      return requestId && !('requestId' in logger.bindings()) ? { requestId } : {};
    },
  });
}

/** The request id of an express request (set by `requestContext`). */
export const requestIdOf = (res: Response): string | undefined => res.locals.requestId as string | undefined;

/** Readiness goes false first, then the process stops accepting and waits for what it started. */
export class Lifecycle {
  draining = false;
  inFlight = 0;
  private waiters: Array<() => void> = [];

  /** Resolves when no request is in flight (or at once). */
  idle(): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  started(): () => void {
    this.inFlight++;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.inFlight--;
      if (this.inFlight === 0) for (const resolve of this.waiters.splice(0)) resolve();
    };
  }
}

export interface RequestContextOptions {
  service: string;
  logger: Logger;
  lifecycle: Lifecycle;
}

/**
 * First middleware of every process: request id, access log, HTTP metrics, in-flight tracking, and the readiness
 * gate (`/health/ready` answers 503 once the process is draining, whatever the route behind it would say).
 */
export function requestContext({ service, logger, lifecycle }: RequestContextOptions): RequestHandler {
  const metrics = processMetrics();
  return (req: Request, res: Response, next: NextFunction) => {
    const incoming = req.header(REQUEST_ID_HEADER);
    const requestId = incoming && WELL_FORMED_ID.test(incoming) ? incoming : randomUUID();
    req.headers[REQUEST_ID_HEADER] = requestId; // what the GraphQL layer (and the gateway's data sources) read
    res.locals.requestId = requestId;
    res.setHeader(REQUEST_ID_HEADER, requestId);
    if (lifecycle.draining) {
      res.setHeader('connection', 'close'); // keep-alive clients reconnect elsewhere
      if (req.path === '/health/ready') return void res.status(503).json({ status: 'shutting down' });
    }
    const finished = lifecycle.started();
    const started = performance.now();
    metrics.inFlight.inc({ service });
    let recorded = false;
    const record = () => {
      if (recorded) return;
      recorded = true;
      finished();
      metrics.inFlight.dec({ service });
      const route = routeLabel(req.originalUrl.split('?')[0]); // req.path is relative inside mounted routers
      const seconds = (performance.now() - started) / 1000;
      const labels = {
        service,
        route,
        method: req.method,
        status: String(res.writableFinished ? res.statusCode : 499),
      };
      metrics.httpRequests.inc(labels);
      metrics.httpDuration.observe(labels, seconds);
      if (route.startsWith('/webhooks/')) observeWebhookLag(service, req, res.statusCode);
      if (route === '/metrics' || route.startsWith('/health/')) return;
      logger.info(
        { requestId, method: req.method, route, status: labels.status, ms: Math.round(seconds * 1000) },
        'request',
      );
    };
    res.once('finish', record);
    res.once('close', record);
    withRequestId(requestId, next);
  };
}

/** The provider stamps each event with its creation time (unix seconds): the lag is now minus that. */
function observeWebhookLag(service: string, req: Request, status: number): void {
  const body: unknown = req.body;
  if (!Buffer.isBuffer(body) && (typeof body !== 'object' || body === null)) return;
  let created: unknown;
  try {
    created = (
      Buffer.isBuffer(body)
        ? (JSON.parse(body.toString('utf8')) as { created?: unknown })
        : (body as { created?: unknown })
    ).created;
  } catch {
    return;
  }
  if (typeof created !== 'number' || !Number.isFinite(created)) return;
  const outcome = status < 300 ? 'ok' : status < 500 ? 'rejected' : 'failed';
  processMetrics().webhookLag.observe({ service, outcome }, Math.max(0, Date.now() / 1000 - created));
}

/**
 * Placed right before the GraphQL handler (after body parsing, which loses async context): the rest of the request
 * runs with its id in the AsyncLocalStorage, inside a server span continuing the caller's trace (`traceparent`).
 */
export function graphqlRequestScope(service: string): RequestHandler {
  const tracer = trace.getTracer('chargegraph');
  return (req, res, next) => {
    const requestId = requestIdOf(res) ?? randomUUID();
    const parent = propagation.extract(context.active(), req.headers);
    const span: Span = tracer.startSpan(
      `${service} ${req.method} ${req.baseUrl || req.path}`,
      {
        kind: SpanKind.SERVER,
        attributes: {
          'http.request.method': req.method,
          'url.path': req.originalUrl.split('?')[0],
          'chargegraph.request_id': requestId,
          'service.name': service,
        },
      },
      parent,
    );
    const operation = (req.body as { operationName?: unknown } | undefined)?.operationName;
    if (typeof operation === 'string') span.setAttribute('graphql.operation.name', operation.slice(0, 100));
    res.once('close', () => {
      span.setAttribute('http.response.status_code', res.statusCode);
      if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    });
    context.with(trace.setSpan(parent, span), () => withRequestId(requestId, next));
  };
}

/** Headers a gateway (or service) call forwards: the request id and the trace context of the active span. */
export function forwardedHeaders(requestId: string | undefined): Record<string, string> {
  const headers: Record<string, string> = {};
  if (requestId) headers[REQUEST_ID_HEADER] = requestId;
  propagation.inject(context.active(), headers);
  return headers;
}

interface HeaderSink {
  set(name: string, value: string): void;
}

/**
 * For the gateway's data sources: copies the incoming request's id (and the active fetch span's trace context)
 * onto a subgraph request.
 */
export function propagateRequest(options: {
  request: { http?: { headers: HeaderSink } };
  incomingRequestContext?: { request: { http?: { headers: { get(name: string): string | null | undefined } } } };
}): void {
  const headers = options.request.http?.headers;
  if (!headers) return;
  const requestId = options.incomingRequestContext?.request.http?.headers.get(REQUEST_ID_HEADER) ?? currentRequestId();
  for (const [name, value] of Object.entries(forwardedHeaders(requestId ?? undefined))) headers.set(name, value);
}
