/**
 * Run by `npm run bench` before the benchmark: installs bench/'s own dependencies (the peer gateways and the load
 * generator, bench/package.json) when they are missing or older than bench/package-lock.json, then typechecks
 * bench/ with bench/tsconfig.json (the root check leaves out the files that import those packages).
 * Only node: imports here: this runs before bench/node_modules exists.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const BENCH_DIR = import.meta.dirname;
const REPO_ROOT = path.dirname(BENCH_DIR);
const lockfile = path.join(BENCH_DIR, 'package-lock.json');
/** npm writes this on every install into bench/node_modules: older than the lockfile means the lockfile moved on. */
const installedLock = path.join(BENCH_DIR, 'node_modules', '.package-lock.json');

function run(command: string, args: string[]): void {
  const result = spawnSync(command, args, { cwd: REPO_ROOT, stdio: 'inherit' });
  if (result.status !== 0) {
    console.error(
      `[bench] ${path.basename(command)} ${args.join(' ')} failed (${result.error?.message ?? result.status})`,
    );
    process.exit(result.status ?? 1);
  }
}

if (!existsSync(installedLock) || statSync(installedLock).mtimeMs < statSync(lockfile).mtimeMs) {
  console.log('[bench] installing bench/ dependencies (peer gateways, autocannon) from bench/package-lock.json');
  // bench's graphql is a link to the root one (one graphql-js in every process): the root must be installed first.
  if (!existsSync(path.join(REPO_ROOT, 'node_modules', 'graphql', 'package.json'))) {
    console.error('[bench] run `npm ci` at the repository root first');
    process.exit(1);
  }
  run('npm', ['ci', '--prefix', 'bench', '--no-audit', '--no-fund']);
}

console.log('[bench] typechecking bench/ (bench/tsconfig.json)');
run(process.execPath, [createRequire(import.meta.url).resolve('typescript/bin/tsc'), '--noEmit', '-p', 'bench']);
