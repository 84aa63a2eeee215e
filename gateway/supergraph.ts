/**
 * Where the gateway's supergraph comes from, live: the composed file (watched) or a URL (polled). A new supergraph is
 * checked first — it must parse, build, keep the partner rules and have every partner secret it names — and only
 * then swapped in; one that fails is logged and the current one keeps serving. Requests already executing finish
 * on the query plan and data sources they started with (@apollo/gateway swaps schema and planner atomically and
 * never drops a data source).
 */
import { watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SupergraphSdlHook } from '@apollo/gateway';
import { Supergraph } from '@apollo/federation-internals';
import type { Logger } from 'pino';
import { parsePartnerMeta, supergraphHash } from '../schema/artifact.js';
import { isOurSubgraph, ownershipViolations } from '../schema/ownership.js';
import { resolvePartners, type PartnerSettings, type SupergraphEnv } from './partner-config.js';

export const DEFAULT_SUPERGRAPH_PATH = fileURLToPath(new URL('../schema/supergraph.graphql', import.meta.url));

export interface SupergraphSourceOptions {
  settings: SupergraphEnv;
  /** Where partner secrets are read from (the variables the supergraph names). */
  env: NodeJS.ProcessEnv;
  /** Derives partner pseudonyms when PARTNER_PSEUDONYM_SECRET is unset. */
  signingSecret: string;
  logger: Logger;
  /** Served when the live source cannot be loaded at boot (the supergraph shipped with the code). */
  fallbackSdl?: string;
}

export interface LoadedSupergraph {
  hash: string;
  loadedAt: Date;
  origin: string;
  subgraphs: Array<{ name: string; url: string; partner: boolean }>;
  partners: Map<string, PartnerSettings>;
  sdl: string;
}

export interface SupergraphStatus {
  hash: string;
  loadedAt: string;
  origin: string;
  subgraphs: string[];
  partners: string[];
  /** The last supergraph that was refused, while the current one kept serving. */
  rejected?: { hash: string; at: string; reason: string };
}

export class SupergraphSource {
  private loaded?: LoadedSupergraph;
  private rejected?: SupergraphStatus['rejected'];
  /** Partner settings ever loaded: a request still running on a removed partner keeps its settings. */
  private readonly partners = new Map<string, PartnerSettings>();
  private readonly origin: string;
  /** The origin as readiness and logs show it: a URL without its query (which may carry a token). */
  private readonly shownOrigin: string;
  private etag?: string;
  private watcher?: FSWatcher;
  private poller?: NodeJS.Timeout;
  private debounce?: NodeJS.Timeout;
  private running?: Promise<void>;
  private again = false;
  private stopped = false;

  constructor(private readonly options: SupergraphSourceOptions) {
    const { SUPERGRAPH_URL, SUPERGRAPH_PATH } = options.settings;
    this.origin = SUPERGRAPH_URL ?? resolve(SUPERGRAPH_PATH ?? DEFAULT_SUPERGRAPH_PATH);
    this.shownOrigin = withoutCredentials(this.origin);
  }

  /** For `new ApolloGateway({ supergraphSdl: source.hook })`. */
  readonly hook: SupergraphSdlHook = async ({ update }) => {
    let first: LoadedSupergraph;
    let text: string | undefined;
    try {
      text = (await this.read()) ?? '';
      first = this.prepare(text, this.shownOrigin);
    } catch (error) {
      if (this.options.fallbackSdl === undefined) throw error;
      this.reject(error, text === undefined ? undefined : supergraphHash(text));
      first = this.prepare(this.options.fallbackSdl, 'fallback (the supergraph shipped with the gateway)');
    }
    this.commit(first);
    this.start(update);
    return { supergraphSdl: first.sdl, cleanup: () => this.stop() };
  };

  current(): LoadedSupergraph {
    if (!this.loaded) throw new Error('no supergraph loaded yet');
    return this.loaded;
  }

  partnerSettings(name: string): PartnerSettings | undefined {
    return this.partners.get(name);
  }

  status(): SupergraphStatus {
    const loaded = this.current();
    return {
      hash: loaded.hash,
      loadedAt: loaded.loadedAt.toISOString(),
      origin: loaded.origin,
      subgraphs: loaded.subgraphs.map((s) => s.name),
      partners: [...loaded.partners.keys()],
      ...(this.rejected ? { rejected: this.rejected } : {}),
    };
  }

  /** Checks everything the gateway would otherwise discover while serving; throws with the reason. */
  private prepare(sdl: string, origin: string): LoadedSupergraph {
    if (!sdl.trim()) throw new Error('the supergraph is empty');
    const meta = parsePartnerMeta(sdl);
    const supergraph = Supergraph.build(sdl, { validateSupergraph: true });
    // The gateway derives the API schema only after it has half-switched to the new supergraph; fail here instead.
    supergraph.apiSchema();
    const violations = ownershipViolations(sdl, isOurSubgraph);
    if (violations.length)
      throw new Error(`partner rules broken: ${violations.map((v) => `${v.coordinate}: ${v.message}`).join(' | ')}`);
    const subgraphs = supergraph
      .subgraphsMetadata()
      .map(({ name, url }) => ({ name, url, partner: !isOurSubgraph(name) }));
    const partnerNames = subgraphs.filter((s) => s.partner).map((s) => s.name);
    const partners = resolvePartners(
      partnerNames,
      meta,
      this.options.env,
      this.options.settings,
      this.options.signingSecret,
    );
    return { hash: supergraphHash(sdl), loadedAt: new Date(), origin, subgraphs, partners, sdl };
  }

  private commit(loaded: LoadedSupergraph): void {
    for (const [name, settings] of loaded.partners) this.partners.set(name, settings);
    this.loaded = loaded;
  }

  private reject(error: unknown, hash = 'unreadable'): void {
    const reason = error instanceof Error ? error.message : String(error);
    const repeated = this.rejected?.hash === hash && this.rejected.reason === reason; // a URL down for a while: log once
    this.rejected = { hash, at: new Date().toISOString(), reason };
    if (!repeated)
      this.options.logger.error(
        { origin: this.shownOrigin, hash, reason },
        'supergraph refused; the current one keeps serving',
      );
  }

  /** The live source's text; undefined when a URL answered "not modified". */
  private async read(): Promise<string | undefined> {
    const { SUPERGRAPH_URL, SUPERGRAPH_POLL_MS } = this.options.settings;
    if (!SUPERGRAPH_URL) return readFile(this.origin, 'utf8');
    const response = await fetch(SUPERGRAPH_URL, {
      headers: this.etag ? { 'if-none-match': this.etag } : {},
      signal: AbortSignal.timeout(Math.max(SUPERGRAPH_POLL_MS, 5000)),
    });
    if (response.status === 304) return undefined;
    if (!response.ok) throw new Error(`GET ${this.shownOrigin} answered ${response.status}`);
    const text = await response.text();
    this.etag = response.headers.get('etag') ?? undefined;
    return text;
  }

  private start(update: (sdl: string) => void): void {
    const { SUPERGRAPH_URL, SUPERGRAPH_POLL_MS } = this.options.settings;
    const check = () => this.schedule(update);
    if (!SUPERGRAPH_URL) {
      try {
        // The folder, not the file: editors, `compose` and Kubernetes ConfigMaps replace the file by a rename.
        this.watcher = watch(dirname(this.origin), { persistent: false }, (_event, file) => {
          if (!file || file === basename(this.origin) || file.startsWith('..')) check();
        });
        this.watcher.on('error', (error) =>
          this.options.logger.warn({ err: error }, 'supergraph watch failed; polling only'),
        );
      } catch (error) {
        this.options.logger.warn({ err: error }, 'cannot watch the supergraph file; polling only');
      }
    }
    // Polling also covers file systems without events (network mounts).
    this.poller = setInterval(check, SUPERGRAPH_POLL_MS).unref();
  }

  /** Bursts of events (a write, then a rename) become one reload; reloads never overlap. */
  private schedule(update: (sdl: string) => void): void {
    if (this.stopped || this.debounce) return;
    this.debounce = setTimeout(() => {
      this.debounce = undefined;
      if (this.running) {
        this.again = true;
        return;
      }
      this.running = this.reload(update).finally(() => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          this.schedule(update);
        }
      });
    }, 20);
  }

  private async reload(update: (sdl: string) => void): Promise<void> {
    const started = performance.now();
    let sdl: string | undefined;
    try {
      sdl = await this.read();
    } catch (error) {
      this.reject(error);
      return;
    }
    if (sdl === undefined || this.stopped) return;
    const hash = supergraphHash(sdl);
    if (hash === this.loaded?.hash || hash === this.rejected?.hash) return; // unchanged, or already refused and logged
    try {
      const next = this.prepare(sdl, this.shownOrigin);
      update(sdl); // synchronous: the gateway builds the new schema and planner, then swaps them in one step
      this.commit(next);
      this.options.logger.info(
        { hash, subgraphs: next.subgraphs.map((s) => s.name), ms: Math.round(performance.now() - started) },
        'supergraph reloaded',
      );
      this.rejected = undefined;
    } catch (error) {
      this.reject(error, hash);
    }
  }

  private async stop(): Promise<void> {
    this.stopped = true;
    this.watcher?.close();
    clearInterval(this.poller);
    clearTimeout(this.debounce);
    await this.running;
  }
}

function withoutCredentials(origin: string): string {
  if (!/^https?:\/\//.test(origin)) return origin;
  const url = new URL(origin);
  url.username = url.password = url.search = url.hash = '';
  return url.toString();
}
