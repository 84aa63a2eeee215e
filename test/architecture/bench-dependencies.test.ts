import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/**
 * bench/ installs its own dependencies on the first `npm run bench` (bench/README.md); the root install, its
 * typecheck and CI must work without them, and bench/ must not bring a second graphql-js.
 */
const ROOT = path.resolve(import.meta.dirname, '..', '..');
interface PackageJson {
  dependencies: Record<string, string>;
  devDependencies?: Record<string, string>;
  overrides?: Record<string, string>;
}
interface Lockfile {
  packages: Record<string, { version?: string; link?: boolean }>;
}
const readJson = <T>(file: string): T => JSON.parse(readFileSync(path.join(ROOT, file), 'utf8')) as T;

const bench = readJson<PackageJson>('bench/package.json');
const root = readJson<PackageJson>('package.json');
/** What only bench/ installs: everything in bench/package.json but the link to the root graphql. */
const benchOnly = Object.keys(bench.dependencies).filter((name) => name !== 'graphql');

const SKIPPED = new Set(['node_modules', '.git', 'dist', '.data', '.cache', 'bench-results', 'test-artifacts']);
function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return SKIPPED.has(entry.name) ? [] : sourceFiles(full);
    return /\.(ts|mts|cts|js|mjs|cjs)$/.test(entry.name) ? [full] : [];
  });
}

const packageOf = (specifier: string) =>
  specifier
    .split('/')
    .slice(0, specifier.startsWith('@') ? 2 : 1)
    .join('/');
const importsOf = (file: string) =>
  ts.preProcessFile(readFileSync(file, 'utf8'), true, true).importedFiles.map((i) => i.fileName);
/** A relative `./x.js` import as the file it names (sources are .ts, imported as .js). */
const resolveRelative = (from: string, specifier: string) =>
  path.resolve(path.dirname(from), specifier).replace(/\.js$/, '.ts');

/** Files that need bench/node_modules: they import a bench-only package, or import a file that does. */
function filesNeedingBenchPackages(): Set<string> {
  const imports = new Map(sourceFiles(ROOT).map((file) => [file, importsOf(file)]));
  const needing = new Set(
    [...imports].filter(([, specs]) => specs.some((s) => benchOnly.includes(packageOf(s)))).map(([f]) => f),
  );
  for (let grew = true; grew;) {
    grew = false;
    for (const [file, specs] of imports) {
      if (needing.has(file)) continue;
      if (specs.some((s) => s.startsWith('.') && needing.has(resolveRelative(file, s)))) {
        needing.add(file);
        grew = true;
      }
    }
  }
  return needing;
}

function rootTypecheckFiles(): Set<string> {
  const { config } = ts.readConfigFile(path.join(ROOT, 'tsconfig.json'), ts.sys.readFile);
  return new Set(ts.parseJsonConfigFileContent(config, ts.sys, ROOT).fileNames.map((f) => path.resolve(f)));
}

describe('the benchmark installs its own dependencies', () => {
  it('the root package.json lists none of them', () => {
    expect(benchOnly).toEqual(expect.arrayContaining(['@graphql-hive/gateway', 'autocannon']));
    const rootDeps = Object.keys({ ...root.dependencies, ...root.devDependencies });
    expect(benchOnly.filter((name) => rootDeps.includes(name))).toEqual([]);
  });

  it('only files in bench/ use them, and the root typecheck leaves those out (so it passes without them)', () => {
    const needing = [...filesNeedingBenchPackages()].map((f) => path.relative(ROOT, f));
    expect(needing).toContain('bench/gateways/load.ts'); // the probe sees autocannon's importer
    expect(needing.filter((f) => !f.startsWith('bench/'))).toEqual([]);
    const checked = rootTypecheckFiles();
    expect(needing.filter((f) => checked.has(path.join(ROOT, f)))).toEqual([]);
    expect(checked.has(path.join(ROOT, 'bench/ocpp.ts'))).toBe(true); // the rest of bench/ is still checked
  });

  it('bench/ takes graphql from the root install: one graphql-js per process', () => {
    expect(bench.dependencies.graphql).toBe('file:../node_modules/graphql');
    expect(bench.overrides?.graphql).toBe('$graphql');
    const { packages } = readJson<Lockfile>('bench/package-lock.json');
    // Paths inside bench/; `../node_modules/graphql` is the root copy the link points to.
    const installed = Object.entries(packages).filter(([key]) => !key.startsWith('../'));
    const graphqls = installed.filter(([key]) => key.endsWith('node_modules/graphql'));
    expect(graphqls).toEqual([['node_modules/graphql', expect.objectContaining({ link: true })]]);
    expect(packages['../node_modules/graphql']?.version).toBe(root.dependencies.graphql);
  });
});
