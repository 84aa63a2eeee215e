import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = new URL('../../', import.meta.url).pathname;

/**
 * Loads a process entry the way production starts it and lists every module that got loaded. The entry is given an
 * invalid configuration, so it exits right after its imports (ESM loads every static import before running).
 */
function modulesLoadedBy(entry: string): string[] {
  const file = join(mkdtempSync(join(tmpdir(), 'cg-loads-')), 'modules.txt');
  const probe = spawnSync(
    process.execPath,
    ['--require', join(root, 'test/architecture/load-recorder.cjs'), '--import', 'tsx', entry],
    {
      cwd: root,
      env: { ...process.env, LOAD_RECORD_FILE: file, JWT_SECRET: 'too-short', NODE_ENV: 'production' },
      encoding: 'utf8',
      timeout: 60_000,
    },
  );
  expect(probe.stderr).toContain('JWT_SECRET'); // it got as far as reading its configuration, then stopped
  return readFileSync(file, 'utf8').split('\n').filter(Boolean);
}

const packageOf = (module: string) => /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(module)?.[1];

describe('what each process loads', () => {
  it('the gateway loads neither the ORM nor type-graphql, nor any subgraph', () => {
    const modules = modulesLoadedBy('gateway/main.ts');
    const packages = new Set(modules.map(packageOf).filter(Boolean));
    expect(packages.has('@apollo/gateway')).toBe(true); // the probe sees the gateway's own dependencies
    expect([...packages].filter((name) => name!.startsWith('@mikro-orm/') || name === 'type-graphql')).toEqual([]);
    const ours = modules.filter((m) => !m.includes('node_modules'));
    expect(ours.filter((m) => m.includes('/subgraphs/') || m.includes('/platform/subgraph/'))).toEqual([]);
    expect(ours.some((m) => m.includes('/platform/'))).toBe(true); // it does stand on the core
  });

  it('a subgraph does load them (the probe is not blind)', () => {
    const packages = new Set(modulesLoadedBy('subgraphs/operator/main.ts').map(packageOf));
    expect(packages.has('@mikro-orm/core')).toBe(true);
    expect(packages.has('type-graphql')).toBe(true);
  });
});
