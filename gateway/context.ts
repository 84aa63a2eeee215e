import type { Identity } from '../subgraphs/common/identity.js';

export interface GatewayContext {
  identity: Identity;
  /** The identity signed once per request and forwarded to every subgraph fetch. */
  identityToken: string;
}
