import type { JsonObject } from '../core/json.js';
import type { ParamReader } from '../core/params.js';
import type { EventSink } from '../events/events.js';
import { OPERATIONS } from '../spec/operations.generated.js';
import type { OperationContract } from '../spec/generate-operations.js';
import type { AccountState, EmulatorState } from '../state/store.js';

/** What an API handler sees: the acting account (from `Stripe-Account`) and the decoded parameters. */
export interface ApiContext {
  readonly state: EmulatorState;
  readonly account: AccountState;
  readonly params: ParamReader;
  readonly pathParams: Readonly<Record<string, string>>;
  readonly events: EventSink;
  /** base URL of the emulator, for links it hands out (onboarding, 3-D Secure) */
  readonly baseUrl: string;
}

/** Returns the response object (status 200) or throws an ApiError. Runs synchronously: no interleaving. */
export type Handler = (ctx: ApiContext) => JsonObject;

export type HttpMethod = 'GET' | 'POST' | 'DELETE';

export interface RouteDefinition {
  method: HttpMethod;
  /** templated path as written in the spec, e.g. `/v1/payment_intents/{intent}/capture` */
  path: string;
  handler: Handler;
  /** parameter contract for endpoints outside the spec subset (emulator extensions) */
  extraContract?: OperationContract;
}

export interface Route extends RouteDefinition {
  contract: OperationContract;
  segments: string[];
  literalCount: number;
}

export interface RouteMatch {
  route: Route;
  pathParams: Record<string, string>;
}

export class Router {
  private readonly routes: Route[] = [];

  add(definitions: readonly RouteDefinition[]): this {
    for (const definition of definitions) {
      const contract = OPERATIONS[`${definition.method} ${definition.path}`] ?? definition.extraContract;
      if (!contract) throw new Error(`no parameter contract for ${definition.method} ${definition.path}`);
      const segments = definition.path.split('/');
      const literalCount = segments.filter((segment) => !segment.startsWith('{')).length;
      this.routes.push({ ...definition, contract, segments, literalCount });
    }
    return this;
  }

  /** The matching route with the most literal segments (so `/v1/accounts` beats `/v1/{x}`-style templates). */
  match(method: string, path: string): RouteMatch | undefined {
    const parts = path.replace(/\/+$/, '').split('/');
    let best: RouteMatch | undefined;
    for (const route of this.routes) {
      if (route.method !== method || route.segments.length !== parts.length) continue;
      const pathParams = matchSegments(route.segments, parts);
      if (pathParams && (!best || route.literalCount > best.route.literalCount)) best = { route, pathParams };
    }
    return best;
  }
}

function matchSegments(template: string[], parts: string[]): Record<string, string> | undefined {
  const params: Record<string, string> = {};
  for (let i = 0; i < template.length; i++) {
    const segment = template[i];
    if (segment.startsWith('{')) {
      if (parts[i] === '') return undefined;
      try {
        params[segment.slice(1, -1)] = decodeURIComponent(parts[i]);
      } catch {
        return undefined;
      }
    } else if (segment !== parts[i]) {
      return undefined;
    }
  }
  return params;
}
