/**
 * Keep-alive between the gateway and the subgraphs. The side that closes an idle connection must be the caller: if
 * the server closes it first, a request the caller sends on it at that moment fails (Node's server default is 5 s,
 * and the gateway's pool kept sockets longer, so a burst after 5 s idle saw UPSTREAM_UNAVAILABLE).
 */
export const KEEP_ALIVE = {
  /** The gateway drops a pooled socket idle this long. */
  clientIdleMs: 60_000,
  /** A subgraph closes a connection idle this long (longer than the gateway keeps it). */
  serverIdleMs: 75_000,
} as const;
