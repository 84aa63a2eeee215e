export interface RequestLogEntry {
  method: string;
  path: string;
  account?: string;
  idempotencyKey?: string;
  /** HTTP status sent; 0 while pending or when no response was sent (timeout, lostResponse, client gone) */
  status: number;
}

/** Kept entries; a long-running dev stack drops the oldest beyond this. */
const MAX_ENTRIES = 10_000;

/** The requests the emulator received, in arrival order (an inspection aid for tests). */
export class RequestLog {
  private entries: RequestLogEntry[] = [];

  start(entry: Omit<RequestLogEntry, 'status'>): RequestLogEntry {
    const recorded: RequestLogEntry = { ...entry, status: 0 };
    this.entries.push(recorded);
    if (this.entries.length > MAX_ENTRIES) this.entries.splice(0, this.entries.length - MAX_ENTRIES);
    return recorded;
  }

  snapshot(): RequestLogEntry[] {
    return this.entries.map((entry) => ({ ...entry }));
  }

  clear(): void {
    this.entries = [];
  }
}
