/** The session subgraph's jobs on pg-boss (session database); bodies are plain methods of SessionLifecycle. */
export const SessionJob = {
  /** `{ sessionId }`: a PENDING session the charger never confirmed → FAILED, hold released. */
  START_TIMEOUT: 'session-start-timeout',
  /** Cron, every minute: abandoned and overlong sessions, stale PENDING ones, unsettled ended ones. */
  IDLE_SWEEP: 'session-idle-sweep',
  /** `{ sessionId }`: an ended session releases its connector and is charged (or its hold released). */
  SETTLE: 'session-settle',
  /** `{ sessionId }`: the cost neared the hold → increment it, or stop the charger. */
  HOLD_CHECK: 'session-hold-check',
} as const;

export interface SessionJobData {
  sessionId: string;
}
