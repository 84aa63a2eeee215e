import type { Identity } from '../subgraphs/common/identity.js';

export interface GatewayContext {
  /** The verified caller; each subgraph call is signed for it (subgraph-client.ts). */
  identity: Identity;
}
