/**
 * One-shot faults for the next matching API request (paths under /v1 only).
 * - http500: answer 500 api_error without performing the operation
 * - http429: answer 429 rate_limit without performing the operation
 * - timeout: never answer; the request is not performed (the socket is held until the client gives up)
 * - lostResponse: perform the operation (and save its idempotent result), then drop the connection
 */
export type FaultKind = 'http500' | 'http429' | 'timeout' | 'lostResponse';

export interface FaultMatch {
  method?: string;
  pathPrefix?: string;
}

interface PendingFault {
  kind: FaultKind;
  match: FaultMatch;
}

export class FaultQueue {
  private pending: PendingFault[] = [];

  injectNext(kind: FaultKind, match: FaultMatch = {}): void {
    this.pending.push({ kind, match });
  }

  clear(): void {
    this.pending = [];
  }

  /** Removes and returns the oldest fault matching this request, if any. */
  take(method: string, path: string): FaultKind | undefined {
    const index = this.pending.findIndex(
      ({ match }) =>
        (match.method === undefined || match.method.toUpperCase() === method) &&
        (match.pathPrefix === undefined || path.startsWith(match.pathPrefix)),
    );
    if (index < 0) return undefined;
    const [fault] = this.pending.splice(index, 1);
    return fault.kind;
  }
}
