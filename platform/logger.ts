import { pino, type Logger } from 'pino';

export type { Logger };

/** Structured JSON logs, one logger per process, named after it. */
export function createLogger(name: string, level: string = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino({ name, level, redact: ['req.headers.authorization', '*.secret', '*.token'] });
}
