/**
 * Stripe's idempotency layer for POST requests, scoped per account and key:
 * - the first request claims the key; its result is saved once the endpoint has executed
 *   (not for parameter validation errors nor 5xx answers, which leave the key free again);
 * - a retry with the same endpoint and parameters replays the saved status and body;
 * - other parameters or another endpoint → 400 idempotency_error;
 * - a retry while the first request is still running → 409 idempotency_key_in_use.
 */
export interface SavedResponse {
  status: number;
  body: string;
  requestId: string;
}

interface Entry {
  accountId: string;
  key: string;
  endpoint: string;
  /** canonical parameters, known once the body was read */
  fingerprint?: string;
  response?: SavedResponse;
}

/** A saved result, as persisted across restarts (in-flight claims are never exported). */
export interface CompletedIdempotencyRecord {
  accountId: string;
  key: string;
  endpoint: string;
  fingerprint: string;
  response: SavedResponse;
}

export type ClaimResult =
  | { kind: 'claimed'; claim: IdempotencyClaim }
  | { kind: 'in_use' }
  | { kind: 'endpoint_mismatch'; originalEndpoint: string }
  | { kind: 'completed'; fingerprint: string; response: SavedResponse };

export class IdempotencyClaim {
  constructor(
    private readonly store: Map<string, Entry>,
    private readonly scopedKey: string,
    private readonly entry: Entry,
  ) {}

  save(fingerprint: string, response: SavedResponse): void {
    this.entry.fingerprint = fingerprint;
    this.entry.response = response;
  }

  release(): void {
    if (this.store.get(this.scopedKey) === this.entry && this.entry.response === undefined)
      this.store.delete(this.scopedKey);
  }
}

export class IdempotencyStore {
  private readonly entries = new Map<string, Entry>();

  claim(accountId: string, key: string, endpoint: string): ClaimResult {
    const scopedKey = scopedKeyOf(accountId, key);
    const existing = this.entries.get(scopedKey);
    if (!existing) {
      const entry: Entry = { accountId, key, endpoint };
      this.entries.set(scopedKey, entry);
      return { kind: 'claimed', claim: new IdempotencyClaim(this.entries, scopedKey, entry) };
    }
    if (existing.endpoint !== endpoint) return { kind: 'endpoint_mismatch', originalEndpoint: existing.endpoint };
    if (existing.response === undefined || existing.fingerprint === undefined) return { kind: 'in_use' };
    return { kind: 'completed', fingerprint: existing.fingerprint, response: existing.response };
  }

  /** Saved results in the order their keys were first used; claims still running are left out. */
  completed(): CompletedIdempotencyRecord[] {
    const records: CompletedIdempotencyRecord[] = [];
    for (const { accountId, key, endpoint, fingerprint, response } of this.entries.values()) {
      if (fingerprint === undefined || response === undefined) continue;
      records.push({ accountId, key, endpoint, fingerprint, response: { ...response } });
    }
    return records;
  }

  /** Adds a saved result (loading persisted state). */
  restore(record: CompletedIdempotencyRecord): void {
    const { accountId, key, endpoint, fingerprint, response } = record;
    this.entries.set(scopedKeyOf(accountId, key), { accountId, key, endpoint, fingerprint, response: { ...response } });
  }
}

function scopedKeyOf(accountId: string, key: string): string {
  return `${accountId}\u0000${key}`;
}

/** Order-independent rendering of decoded parameters, to compare a retry with the original. */
export function paramsFingerprint(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b)))
      : v,
  );
}
