export type SubgraphHealth = 'ready' | 'not ready' | 'unreachable';

/** Asks every subgraph's readiness endpoint (next to its /graphql) with a short deadline. */
export async function checkSubgraphs(
  urls: Record<string, string>,
  timeoutMs = 2000,
): Promise<Record<string, SubgraphHealth>> {
  const entries = await Promise.all(
    Object.entries(urls).map(async ([name, url]): Promise<[string, SubgraphHealth]> => {
      try {
        const response = await fetch(new URL('/health/ready', url), { signal: AbortSignal.timeout(timeoutMs) });
        return [name, response.ok ? 'ready' : 'not ready'];
      } catch {
        return [name, 'unreachable'];
      }
    }),
  );
  return Object.fromEntries(entries);
}
