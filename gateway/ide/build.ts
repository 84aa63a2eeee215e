/**
 * Bundles the GraphQL IDE (GraphiQL + Monaco + our plugins) into gateway/ide/dist/ with esbuild:
 *   npm run build:ide        (also run by `npm install` / `npm ci` through the `prepare` script)
 * Everything the page loads — JS, CSS, Monaco's web workers, fonts — ends up in dist/assets/ under content-hashed
 * names, so the gateway serves the IDE with no CDN and can cache the assets forever. dist/manifest.json tells the
 * router which files exist and which to put in the page.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { brotliCompress, constants as zlibConstants, gzip } from 'node:zlib';
import * as esbuild from 'esbuild';

const here = path.dirname(fileURLToPath(import.meta.url));
export const IDE_DIST_DIR = path.join(here, 'dist');
const require = createRequire(import.meta.url);

export interface IdeAsset {
  /** File name the page asks for, under /ide/assets/. */
  file: string;
  /** Uncompressed size. */
  bytes: number;
  /**
   * Only `<file>.br` and `<file>.gz` are on disk, not `<file>` itself. Keeps dist/ small, and keeps the minified
   * bundles out of reach of `eslint .` (whose ignore list only covers the top-level dist/).
   */
  precompressed: boolean;
}

export interface IdeManifest {
  /** The ES module that starts the IDE. */
  entry: string;
  /** Style sheets to link from the page, in order. */
  styles: string[];
  assets: IdeAsset[];
  builtAt: string;
}

const COMPRESSIBLE = /\.(js|css|svg|ttf)$/;

/**
 * Fonts GraphiQL ships as huge base64 data URIs: split into files so the browser fetches only the subsets it needs.
 * The font bytes stay in memory (a plugin namespace) rather than in a scratch folder: esbuild caches directory
 * listings, so a file written while another style sheet was being resolved could be missed.
 */
const fontsAsFiles = (): esbuild.Plugin => ({
  name: 'fonts-as-files',
  setup(build) {
    const fonts = new Map<string, Buffer>();
    build.onLoad({ filter: /[\\/]@graphiql[\\/]react[\\/]font[\\/][\w-]+\.css$/ }, async (args) => {
      const css = await readFile(args.path, 'utf8');
      const contents = css.replace(
        /url\(\s*data:font\/(woff2?);base64,([A-Za-z0-9+/=]+)\s*\)/g,
        (_match, ext: string, base64: string) => {
          const bytes = Buffer.from(base64, 'base64');
          const name = `${path.basename(args.path, '.css')}-${createHash('sha256').update(bytes).digest('hex').slice(0, 12)}.${ext}`;
          fonts.set(name, bytes);
          return `url(ide-font:${name})`;
        },
      );
      return { contents, loader: 'css' };
    });
    build.onResolve({ filter: /^ide-font:/ }, (args) => ({
      path: args.path.slice('ide-font:'.length),
      namespace: 'ide-font',
    }));
    build.onLoad({ filter: /.*/, namespace: 'ide-font' }, (args) => {
      const bytes = fonts.get(args.path);
      if (!bytes) throw new Error(`unknown font ${args.path}`);
      return { contents: bytes, loader: 'file' };
    });
  },
});

const common: esbuild.BuildOptions = {
  bundle: true,
  minify: true,
  legalComments: 'none',
  target: ['chrome120', 'firefox120', 'safari17'],
  entryNames: '[name]-[hash]',
  assetNames: '[name]-[hash]',
  chunkNames: 'chunk-[hash]',
  define: { 'process.env.NODE_ENV': '"production"' },
  logLevel: 'warning',
};

/** Builds into a scratch folder, then swaps it in, so a running gateway never sees a half-written dist/. */
export async function buildIde({ quiet = false }: { quiet?: boolean } = {}): Promise<IdeManifest> {
  const startedAt = performance.now();
  // Scratch space under node_modules/.cache: same file system (for the final rename), ignored by git and eslint.
  const scratch = path.join(here, '..', '..', 'node_modules', '.cache', 'chargegraph-ide');
  const outDir = path.join(scratch, `dist-${process.pid}`);
  const assetsDir = path.join(outDir, 'assets');
  await rm(outDir, { recursive: true, force: true });

  try {
    // 1. Monaco's workers: classic scripts, each self-contained.
    const workerEntries = {
      'editor.worker': require.resolve('monaco-editor/esm/vs/editor/editor.worker.js'),
      'json.worker': require.resolve('monaco-editor/esm/vs/language/json/json.worker.js'),
      'graphql.worker': require.resolve('monaco-graphql/esm/graphql.worker.js'),
    };
    const workers = await esbuild.build({
      ...common,
      metafile: true,
      entryPoints: workerEntries,
      outdir: assetsDir,
      format: 'iife',
    });
    const workerFile = (name: string) => {
      const [file] =
        Object.entries(workers.metafile.outputs).find(
          ([, output]) =>
            output.entryPoint && path.resolve(output.entryPoint) === workerEntries[name as keyof typeof workerEntries],
        ) ?? [];
      if (!file) throw new Error(`esbuild produced no output for ${name}`);
      return `./${path.basename(file)}`;
    };

    // 2. The page: one ES module and one style sheet, plus Monaco's codicon font and GraphiQL's fonts as files.
    //    No code splitting: GraphiQL lazy-loads Monaco right after the first render anyway, and split chunks would each
    //    carry their own (duplicated) copy of Monaco's CSS, which nothing would load.
    const main = await esbuild.build({
      ...common,
      metafile: true,
      entryPoints: { ide: path.join(here, 'client', 'main.ts') },
      outdir: assetsDir,
      format: 'esm',
      splitting: false,
      loader: { '.ttf': 'file', '.woff': 'file', '.woff2': 'file', '.svg': 'file', '.png': 'file' },
      define: {
        ...common.define,
        __IDE_WORKERS__: JSON.stringify({
          editor: workerFile('editor.worker'),
          json: workerFile('json.worker'),
          graphql: workerFile('graphql.worker'),
        }),
      },
      plugins: [fontsAsFiles()],
    });

    const outputs = Object.entries(main.metafile.outputs);
    const entry = outputs.find(([file, output]) => output.entryPoint && file.endsWith('.js'));
    if (outputs.filter(([file]) => file.endsWith('.js')).length !== 1)
      throw new Error('expected exactly one JS output');
    if (!entry) throw new Error('esbuild produced no entry module');
    const styles = outputs.filter(([file]) => file.endsWith('.css')).map(([file]) => path.basename(file));

    // 3. Precompress what compresses (so the gateway needs no compression middleware) and keep only the compressed
    //    copies of those files; the router gunzips for the rare client that takes neither br nor gzip.
    const assets: IdeAsset[] = [];
    const transferred = new Map<string, number>();
    for (const file of (await readdir(assetsDir)).sort()) {
      const full = path.join(assetsDir, file);
      const content = await readFile(full);
      const precompressed = COMPRESSIBLE.test(file);
      let sent = content.length;
      if (precompressed) {
        const [br, gz] = await Promise.all([
          promisify(brotliCompress)(content, {
            params: { [zlibConstants.BROTLI_PARAM_QUALITY]: 9, [zlibConstants.BROTLI_PARAM_SIZE_HINT]: content.length },
          }),
          promisify(gzip)(content, { level: 9 }),
        ]);
        await Promise.all([writeFile(`${full}.br`, br), writeFile(`${full}.gz`, gz)]);
        await rm(full);
        sent = br.length;
      }
      transferred.set(file, sent);
      assets.push({ file, bytes: content.length, precompressed });
    }

    const manifest: IdeManifest = { entry: path.basename(entry[0]), styles, assets, builtAt: new Date().toISOString() };
    await writeFile(path.join(outDir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);

    // Swap it in. Another build finishing at the same moment (two test runs in one work tree) may win the race:
    // its output is as good as ours.
    const previous = path.join(scratch, `old-${process.pid}`);
    await rename(IDE_DIST_DIR, previous).catch(ignoreCode('ENOENT'));
    await rename(outDir, IDE_DIST_DIR).catch(ignoreCode('ENOTEMPTY', 'EEXIST'));
    await rm(previous, { recursive: true, force: true });
    await rm(outDir, { recursive: true, force: true });

    if (!quiet) report(manifest, transferred, performance.now() - startedAt);
    return manifest;
  } catch (error) {
    await rm(outDir, { recursive: true, force: true });
    throw error;
  }
}

const ignoreCode =
  (...codes: string[]) =>
  (error: NodeJS.ErrnoException): void => {
    if (!error.code || !codes.includes(error.code)) throw error;
  };

function report(manifest: IdeManifest, brotli: Map<string, number>, ms: number): void {
  const kb = (n: number) => `${(n / 1024).toFixed(0)} kB`;
  const sum = (values: Iterable<number>) => [...values].reduce((a, b) => a + b, 0);
  console.log(
    `IDE built in ${(ms / 1000).toFixed(1)} s → ${path.relative(process.cwd(), IDE_DIST_DIR)}/: ${manifest.assets.length} files, ` +
      `${kb(sum(manifest.assets.map((a) => a.bytes)))} (${kb(sum(brotli.values()))} as sent with brotli)`,
  );
  for (const asset of [...manifest.assets].sort((a, b) => b.bytes - a.bytes).slice(0, 6)) {
    console.log(
      `  ${asset.file.padEnd(36)} ${kb(asset.bytes).padStart(8)} ${`(${kb(brotli.get(asset.file) ?? asset.bytes)})`.padStart(10)}`,
    );
  }
}

/** Sources whose change makes dist/ stale (the saved queries are read at run time, not bundled). */
async function newestSourceMtime(): Promise<number> {
  const files = [
    path.join(here, 'build.ts'),
    path.join(here, 'page-config.ts'),
    path.join(here, '..', '..', 'package-lock.json'),
  ];
  for (const name of await readdir(path.join(here, 'client'))) files.push(path.join(here, 'client', name));
  const times = await Promise.all(files.map(async (file) => (await stat(file).catch(() => undefined))?.mtimeMs ?? 0));
  return Math.max(...times);
}

/** Builds dist/ unless it is newer than every source (the tests call this; CI has built it in `npm ci`). */
export async function ensureIdeBuilt(): Promise<IdeManifest> {
  const manifestPath = path.join(IDE_DIST_DIR, 'manifest.json');
  const built = await stat(manifestPath).catch(() => undefined);
  if (built && built.mtimeMs >= (await newestSourceMtime()))
    return JSON.parse(await readFile(manifestPath, 'utf8')) as IdeManifest;
  return buildIde({ quiet: true });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  try {
    await buildIde();
  } catch (error) {
    console.error(`IDE build failed: ${(error as Error).message}`);
    process.exit(1);
  }
}
