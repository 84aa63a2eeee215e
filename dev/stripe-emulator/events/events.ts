import { newId, nowSeconds } from '../core/ids.js';
import { cloneJson, type JsonObject } from '../core/json.js';
import type { EventRecord } from '../state/objects.js';
import type { AccountState } from '../state/store.js';

/** The API version stripe@23.1.0 pins; events are rendered as this version (a test keeps it in sync). */
export const EMULATED_API_VERSION = '2026-10-28.endive';

export interface EventSink {
  /** Records an event on `account` (a Connect event when it is a connected account). */
  emit(account: AccountState, type: string, object: JsonObject, previous?: JsonObject): void;
}

export interface EmittedEvent {
  account: AccountState;
  event: EventRecord;
}

/**
 * Creates the events of one request. They are stored (visible in GET /v1/events) at once; the
 * caller hands `emitted` to the webhook dispatcher only after the API response has been written.
 */
export class EventCollector implements EventSink {
  readonly emitted: EmittedEvent[] = [];

  constructor(
    private readonly request: { id: string | null; idempotencyKey: string | null },
    private readonly webhooksEnabled: boolean,
  ) {}

  emit(account: AccountState, type: string, object: JsonObject, previous?: JsonObject): void {
    const id = newId('evt');
    const created = nowSeconds();
    const data: JsonObject = { object: cloneJson(object) };
    if (previous) data.previous_attributes = cloneJson(previous);
    const body: JsonObject = { id, object: 'event' };
    // Stripe sets `account` only on events that happened on a connected account (Connect events).
    if (!account.isPlatform) body.account = account.id;
    Object.assign(body, {
      api_version: EMULATED_API_VERSION,
      created,
      data,
      livemode: false,
      pending_webhooks: this.webhooksEnabled ? 1 : 0,
      request: { id: this.request.id, idempotency_key: this.request.idempotencyKey },
      type,
    });
    const event: EventRecord = { id, created, type, body };
    account.events.add(event);
    this.emitted.push({ account, event });
  }
}
