import { createReadStream, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { createGunzip } from 'node:zlib';
import express, { type NextFunction, type Request, type Response } from 'express';
import { PAGE_CONFIG_ELEMENT_ID, type IdePageConfig } from './page-config.js';
import { savedQueries as defaultSavedQueries, type SavedQuery } from './saved-queries.js';
// Type only: build.ts imports esbuild, which a production install need not have.
import type { IdeAsset, IdeManifest } from './build.js';

export type { SavedQuery } from './saved-queries.js';

export interface IdeRouterOptions {
  /** Serve the IDE at all; production turns it off (then its URLs answer 404). */
  enabled: boolean;
  /** Where the GraphQL endpoint is mounted, e.g. `/graphql`: the IDE page is also served there to browsers. */
  graphqlPath: string;
  /** The examples offered in the IDE; defaults to gateway/ide/saved-queries.ts. */
  savedQueries?: SavedQuery[];
  /** Where the built assets are (gateway/ide/dist by default). */
  distDir?: string;
}

const DEFAULT_DIST_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'dist');
export const IDE_ASSETS_PATH = '/ide/assets';

/**
 * Only the page's own origin may provide anything; inline styles are needed by Monaco and GraphiQL, `data:` fonts and
 * images by GraphiQL's CSS. No inline or remote script, no remote connection.
 */
export const IDE_CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "worker-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** True for a browser navigation: the request prefers HTML to JSON (`Accept: text/html,…`). */
export function prefersHtml(req: Request): boolean {
  return req.accepts(['application/json', 'application/graphql-response+json', 'text/html']) === 'text/html';
}

const notFound = (res: Response, message = 'Not found') => void res.status(404).type('text/plain').send(`${message}\n`);

/**
 * The GraphQL IDE (GraphiQL, bundled by `npm run build:ide`):
 * - `GET /` and `GET <graphqlPath>` from a browser (Accept prefers text/html): the IDE page, which opens a
 *   `?query=…&variables=…` link in a tab; every other request (POST, JSON clients) passes through to the GraphQL server;
 * - `GET /ide/assets/<file>`: its content-hashed assets, cached for a year, precompressed (br/gzip);
 * - disabled: the same URLs answer 404.
 * Mount it before the GraphQL middleware: `app.use(createIdeRouter({ … }))`.
 */
export function createIdeRouter(options: IdeRouterOptions): express.Router {
  const router = express.Router();
  const { graphqlPath } = options;
  // Like Apollo's landing page: any GET that prefers HTML, `?query=` links included (the IDE opens them in a tab).
  const isPage = prefersHtml;

  if (!options.enabled) {
    const disabled = (res: Response) => notFound(res, 'Not found: the GraphQL IDE is disabled here.');
    router.get(['/', graphqlPath], (req: Request, res: Response, next: NextFunction) =>
      isPage(req) ? disabled(res) : next(),
    );
    router.use('/ide', (_req: Request, res: Response) => disabled(res));
    return router;
  }

  const catalogue = new AssetCatalogue(options.distDir ?? DEFAULT_DIST_DIR);
  const savedQueries = options.savedQueries ?? defaultSavedQueries;

  router.get(['/', graphqlPath], (req: Request, res: Response, next: NextFunction) => {
    res.vary('Accept');
    if (!isPage(req)) return next();
    res.set({
      'Cache-Control': 'no-cache',
      'Content-Security-Policy': IDE_CONTENT_SECURITY_POLICY,
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
    });
    const manifest = catalogue.manifest();
    if (!manifest) {
      res
        .status(503)
        .type('text/plain')
        .send('The GraphQL IDE is not built: run `npm run build:ide` (npm install does it too).\n');
      return;
    }
    const config: IdePageConfig = { graphqlPath: `${req.baseUrl}${graphqlPath}`, savedQueries };
    res.type('html').send(renderPage(manifest, `${req.baseUrl}${IDE_ASSETS_PATH}`, config));
  });

  router.get(`${IDE_ASSETS_PATH}/:file`, (req: Request, res: Response) => {
    const file = String(req.params.file);
    const asset = catalogue.find(file);
    if (!asset) return notFound(res);
    res.type(path.extname(file));
    res.set({ 'Cache-Control': 'public, max-age=31536000, immutable', 'X-Content-Type-Options': 'nosniff' });
    const send = (diskFile: string, encoding?: string) => {
      if (encoding) res.set('Content-Encoding', encoding);
      res.sendFile(diskFile, { root: catalogue.assetsDir, dotfiles: 'deny' }, (error) => {
        if (error && !res.headersSent) {
          res.removeHeader('Content-Encoding');
          notFound(res);
        }
      });
    };
    if (!asset.precompressed) return send(file);

    // Only <file>.br and <file>.gz are on disk. Brotli when the client takes it (browsers list gzip first, but br is
    // smaller), else gzip, else gunzipped on the fly for the rare client that takes neither.
    res.vary('Accept-Encoding');
    if (req.acceptsEncodings('br') === 'br') return send(`${file}.br`, 'br');
    if (req.acceptsEncodings('gzip') === 'gzip') return send(`${file}.gz`, 'gzip');
    if (req.method === 'HEAD') return void res.end();
    pipeline(createReadStream(path.join(catalogue.assetsDir, `${file}.gz`)), createGunzip(), res).catch(() => {
      if (!res.headersSent) notFound(res);
      else res.destroy();
    });
  });
  router.use('/ide', (_req: Request, res: Response) => notFound(res));

  return router;
}

/** The files of dist/manifest.json; reloaded when a new build replaces it, so a running gateway picks it up. */
class AssetCatalogue {
  readonly assetsDir: string;
  private loaded?: { mtimeMs: number; manifest: IdeManifest; files: Map<string, IdeAsset> };

  constructor(private readonly distDir: string) {
    this.assetsDir = path.join(distDir, 'assets');
  }

  manifest(): IdeManifest | undefined {
    const manifestPath = path.join(this.distDir, 'manifest.json');
    let mtimeMs: number;
    try {
      mtimeMs = statSync(manifestPath).mtimeMs;
    } catch {
      this.loaded = undefined;
      return undefined;
    }
    if (this.loaded?.mtimeMs !== mtimeMs) {
      const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as IdeManifest;
      this.loaded = { mtimeMs, manifest, files: new Map(manifest.assets.map((a) => [a.file, a])) };
    }
    return this.loaded.manifest;
  }

  find(file: string): IdeAsset | undefined {
    return this.loaded?.files.get(file) ?? (this.manifest() && this.loaded?.files.get(file));
  }
}

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);

/** JSON inside <script type="application/json">: `<` escaped so no `</script>` can end the element early. */
const scriptJson = (value: unknown) => JSON.stringify(value).replace(/</g, '\\u003c');

function renderPage(manifest: IdeManifest, assetsUrl: string, config: IdePageConfig): string {
  const asset = (file: string) => escapeHtml(`${assetsUrl}/${file}`);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>ChargeGraph GraphQL IDE</title>
<link rel="icon" href="data:,">
${manifest.styles.map((file) => `<link rel="stylesheet" href="${asset(file)}">`).join('\n')}
<script type="application/json" id="${PAGE_CONFIG_ELEMENT_ID}">${scriptJson(config)}</script>
<script type="module" src="${asset(manifest.entry)}"></script>
</head>
<body>
<div id="root"></div>
<noscript>The ChargeGraph GraphQL IDE needs JavaScript.</noscript>
</body>
</html>
`;
}
