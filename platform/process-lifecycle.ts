import type { Logger } from 'pino';
import { ConfigurationError } from './runtime-config.js';
import type { Tracing } from './tracing.js';

// How every ChargeGraph process starts and stops (subgraphs, gateway, OCPP), without loading any of them.

/** Configuration problems are an operator's to fix: one message on stderr, no stack trace, exit code 1. */
export function loadOrExit<T>(load: () => T): T {
  try {
    return load();
  } catch (error) {
    if (!(error instanceof ConfigurationError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
}

export interface Stoppable {
  beginDraining(): void;
  inFlight(): number;
  close(): Promise<void>;
}

/** SIGTERM/SIGINT → graceful stop within a bound (see runSubgraph). A second signal does not restart it. */
export function onTermination(
  logger: Logger,
  { delayMs, timeoutMs, tracing }: { delayMs: number; timeoutMs: number; tracing?: Tracing },
  target: Stoppable,
): void {
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    const started = performance.now();
    target.beginDraining();
    logger.info({ signal, inFlight: target.inFlight(), delayMs, timeoutMs }, 'stopping: readiness is false, draining');
    const deadline = setTimeout(
      () => {
        logger.error({ inFlight: target.inFlight(), timeoutMs }, 'graceful stop took too long; exiting anyway');
        process.exit(1);
      },
      delayMs + timeoutMs + 2_000,
    );
    deadline.unref();
    try {
      if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
      await target.close();
      await tracing?.shutdown();
      logger.info({ ms: Math.round(performance.now() - started) }, 'stopped');
      process.exit(0);
    } catch (error) {
      logger.error({ err: error }, 'graceful stop failed');
      process.exit(1);
    }
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}
