import { resourceMissing } from '../core/errors.js';
import { cloneJson, type JsonObject } from '../core/json.js';
import { paginate } from '../core/list.js';
import type { ApiContext, RouteDefinition } from '../http/router.js';

/** `type` may end in `.*` (e.g. `payment_intent.*`), as on Stripe. */
function typeMatcher(pattern: string): (type: string) => boolean {
  return pattern.endsWith('.*') ? (type) => type.startsWith(pattern.slice(0, -1)) : (type) => type === pattern;
}

function listEvents(ctx: ApiContext): JsonObject {
  const { params } = ctx;
  const type = params.string('type');
  const types = params.stringList('types');
  const matchers = [...(type === undefined ? [] : [type]), ...(types ?? [])].map(typeMatcher);
  const events = ctx.account.events
    .newestFirst()
    .filter((event) => matchers.length === 0 || matchers.some((match) => match(event.type)));
  return paginate(events, params, '/v1/events', (event) => cloneJson(event.body));
}

function retrieveEvent(ctx: ApiContext): JsonObject {
  const event = ctx.account.events.get(ctx.pathParams.id);
  if (!event) throw resourceMissing('event', ctx.pathParams.id, 'id');
  return event.body;
}

export const eventRoutes: RouteDefinition[] = [
  { method: 'GET', path: '/v1/events', handler: listEvents },
  { method: 'GET', path: '/v1/events/{id}', handler: retrieveEvent },
];
