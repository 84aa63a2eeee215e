import express, { type Router } from 'express';
import { metricsHandler } from './metrics.js';
import type { Lifecycle } from './observability.js';

/** What `/health/ready` answers: 200 when `ready`, else 503, with `body` either way. */
export interface Readiness {
  ready: boolean;
  body: Record<string, unknown>;
}

/**
 * What every process answers its orchestrator and its scraper: `/metrics`, `/health/live` (the process runs) and
 * `/health/ready` (it should get traffic; `readiness` decides). Mount after `requestContext`, which answers 503 on
 * `/health/ready` by itself once the process drains.
 */
export function probeRoutes(readiness: () => Promise<Readiness>): Router {
  const router = express.Router();
  router.get('/metrics', metricsHandler);
  router.get('/health/live', (_req, res) => void res.json({ status: 'ok' }));
  router.get('/health/ready', async (_req, res) => {
    const { ready, body } = await readiness();
    res.status(ready ? 200 : 503).json(body);
  });
  return router;
}

/** Readiness of a process whose one dependency is its database. */
export const databaseReadiness =
  (lifecycle: Lifecycle, isConnected: () => Promise<boolean>) => async (): Promise<Readiness> => {
    const ready = !lifecycle.draining && (await isConnected().catch(() => false));
    return { ready, body: { status: lifecycle.draining ? 'shutting down' : ready ? 'ready' : 'database unavailable' } };
  };
