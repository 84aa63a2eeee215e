import type { Identity } from '../platform/identity.js';

export interface GatewayContext {
  /** The verified caller; each subgraph call is signed for it (subgraph-client.ts). */
  identity: Identity;
}
