/**
 * The benchmark measures what production runs: the compiled JS of `npm run build` (dist/), started with plain
 * `node` as deploy/Dockerfile does — no tsx, no source maps. The build runs here when dist/ is missing or older than
 * any file it is built from.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { build } from 'esbuild';
import { REPO_ROOT } from './processes.js';

export const DIST = path.join(REPO_ROOT, 'dist');
/** Written after a successful build: its time is the build's. */
const STAMP = path.join(DIST, '.bench-build-stamp');
/** What tsconfig.build.json and deploy/copy-assets.ts read (plus the IDE sources the build bundles). */
const SOURCES = ['platform', 'gateway', 'subgraphs', 'ocpp', 'schema', 'deploy'];
const SOURCE_FILES = ['package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json'];

/** The newest source file's mtime (tests left out: the build leaves them out too). */
function newestSource(): { file: string; mtimeMs: number } {
  let newest = { file: '', mtimeMs: 0 };
  const visit = (file: string) => {
    const stat = statSync(file);
    if (stat.mtimeMs > newest.mtimeMs) newest = { file, mtimeMs: stat.mtimeMs };
  };
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        if (!['node_modules', 'test', 'dist', 'k8s'].includes(entry.name)) walk(full);
      } else if (!entry.name.endsWith('.test.ts')) visit(full);
    }
  };
  for (const dir of SOURCES) walk(path.join(REPO_ROOT, dir));
  for (const file of SOURCE_FILES) visit(path.join(REPO_ROOT, file));
  return newest;
}

/** Builds dist/ unless it is newer than every source; returns why it built (or that it did not). */
export async function ensureBuild(log: (line: string) => void): Promise<string> {
  const newest = newestSource();
  if (existsSync(STAMP) && statSync(STAMP).mtimeMs >= newest.mtimeMs) return 'dist/ is up to date';
  const why = existsSync(STAMP)
    ? `dist/ is older than ${path.relative(REPO_ROOT, newest.file)}`
    : 'dist/ has not been built by the bench yet';
  log(`${why}: npm run build`);
  // From scratch: files of deleted sources must not linger in dist/.
  await rm(DIST, { recursive: true, force: true });
  const t0 = performance.now();
  const result = spawnSync('npm', ['run', 'build'], { cwd: REPO_ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
  if (result.status !== 0) throw new Error(`npm run build failed (${result.error?.message ?? result.status})`);
  writeFileSync(STAMP, `${new Date().toISOString()}\n`);
  return `${why}: built in ${((performance.now() - t0) / 1000).toFixed(0)} s`;
}

/** The compiled file of a source entry, e.g. gateway/main.ts → dist/gateway/main.js. */
export const compiled = (entry: string) => path.join('dist', entry.replace(/\.ts$/, '.js'));

/**
 * The environment's NODE_OPTIONS without what production does not run here: source maps (deploy/ enables them,
 * but they cost only when a stack trace is read) and loaders (tsx).
 */
export function productionNodeOptions(options: string[]): string[] {
  return options.filter((o) => o !== '--enable-source-maps');
}

/**
 * The peers' bench-side entries (the stock Apollo server, Hive's config), bundled to JS with their imports from
 * gateway/ and platform/; packages stay external. In bench/.build/, so that packages resolve as from bench/ (bench's
 * node_modules first: Hive's config runs inside Hive's CLI).
 */
export const PEER_BUNDLES = {
  apolloStock: 'bench/.build/apollo-stock.mjs',
  hiveConfig: 'bench/.build/hive.config.mjs',
} as const;

export async function bundlePeers(): Promise<void> {
  const entries: Array<[string, string]> = [
    ['bench/gateways/peers/apollo-stock.ts', PEER_BUNDLES.apolloStock],
    ['bench/gateways/peers/hive.config.ts', PEER_BUNDLES.hiveConfig],
  ];
  for (const [entry, outfile] of entries) {
    await build({
      entryPoints: [path.join(REPO_ROOT, entry)],
      outfile: path.join(REPO_ROOT, outfile),
      bundle: true,
      packages: 'external',
      platform: 'node',
      format: 'esm',
      target: 'node20',
      sourcemap: false,
      logLevel: 'warning',
    });
  }
}
