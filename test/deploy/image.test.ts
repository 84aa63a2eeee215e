import { spawn, spawnSync } from 'node:child_process';
import http from 'node:http';
import { once } from 'node:events';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseUrl, dropDatabase } from '../../platform/database-admin.js';
import { busDatabaseUrl } from '../../platform/bus.js';
import { ocppDatabaseUrl } from '../../ocpp/config.js';
import { testConfig } from '../support/config.js';
import { freePort } from '../support/ports.js';

const root = path.resolve(fileURLToPath(new URL('../..', import.meta.url)));

interface Instruction {
  keyword: string;
  args: string;
}
interface Stage {
  from: string;
  name?: string;
  instructions: Instruction[];
}

/** Dockerfile → stages of instructions (comments dropped, continuations joined, ARG defaults substituted in FROM). */
export function parseDockerfile(text: string): { args: Record<string, string>; stages: Stage[] } {
  const logical = text
    .replace(/\\\r?\n/g, ' ')
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'));
  const args: Record<string, string> = {};
  const stages: Stage[] = [];
  for (const line of logical) {
    const [, keyword, rest = ''] = /^(\S+)\s*(.*)$/.exec(line) ?? [];
    const instruction = { keyword: keyword.toUpperCase(), args: rest.replace(/\s+/g, ' ') };
    if (instruction.keyword === 'ARG' && stages.length === 0) {
      const [name, value = ''] = instruction.args.split('=');
      args[name] = value;
    } else if (instruction.keyword === 'FROM') {
      const [image, as, name] = instruction.args.split(' ');
      stages.push({
        from: image.replace(/\$\{(\w+)\}|\$(\w+)/g, (_m, a: string, b: string) => args[a ?? b] ?? ''),
        name: as?.toUpperCase() === 'AS' ? name : undefined,
        instructions: [],
      });
    } else {
      if (!stages.length) throw new Error(`${instruction.keyword} before the first FROM`);
      stages[stages.length - 1].instructions.push(instruction);
    }
  }
  return { args, stages };
}

describe('deploy/Dockerfile', () => {
  const { stages } = parseDockerfile(readFileSync(path.join(root, 'deploy', 'Dockerfile'), 'utf8'));
  const final = stages[stages.length - 1];
  const stage = (name: string) => stages.find((s) => s.name === name);
  const copiesFrom = (from: Stage, source: string) =>
    from.instructions
      .filter((i) => i.keyword === 'COPY' && i.args.includes('--from='))
      .map((i) => /--from=(\S+)\s+(\S+)\s+(\S+)/.exec(i.args)!)
      .filter((m) => m[2] === source);

  it('is multi-stage on Node 24 LTS', () => {
    expect(stages.length).toBeGreaterThanOrEqual(3);
    for (const s of stages) expect(s.from).toMatch(/^node:24(\.\d+){0,2}(-[a-z0-9-]+)?$/);
  });

  it('runs as a non-root numeric user (so Kubernetes can verify runAsNonRoot)', () => {
    const users = final.instructions.filter((i) => i.keyword === 'USER');
    expect(users.length).toBeGreaterThan(0);
    const user = users[users.length - 1].args.split(':')[0];
    expect(user).toMatch(/^\d+$/);
    expect(Number(user)).toBeGreaterThan(0);
  });

  it('ships production dependencies only, installed without scripts, and compiled JS', () => {
    const [modules] = copiesFrom(final, '/app/node_modules');
    expect(modules, 'node_modules must come from another stage').toBeDefined();
    const deps = stage(modules[1])!;
    const installs = deps.instructions.filter((i) => i.keyword === 'RUN' && /\bnpm (ci|install)\b/.test(i.args));
    expect(installs).toHaveLength(1);
    expect(installs[0].args).toMatch(/npm ci\b.*--omit=dev/);
    expect(installs[0].args).toMatch(/--ignore-scripts/);
    // The final stage installs nothing and copies no sources: only dist/ from the build stage.
    expect(final.instructions.filter((i) => i.keyword === 'RUN')).toEqual([]);
    const copies = final.instructions.filter((i) => i.keyword === 'COPY' || i.keyword === 'ADD');
    for (const copy of copies) expect(copy.args).toMatch(/--from=\S+ \/app\/(node_modules|dist) |^package\.json /);
    const [dist] = copiesFrom(final, '/app/dist');
    expect(stage(dist[1])!.instructions.some((i) => i.keyword === 'RUN' && i.args === 'npm run build')).toBe(true);
    expect(final.instructions.find((i) => i.keyword === 'ENV')?.args).toMatch(/NODE_ENV=production/);
  });

  it('starts any process by command through one entry point', () => {
    expect(final.instructions.find((i) => i.keyword === 'ENTRYPOINT')?.args).toBe(
      '["node", "dist/deploy/chargegraph.js"]',
    );
    expect(final.instructions.find((i) => i.keyword === 'CMD')?.args).toBe('["gateway"]');
  });

  it('compiles every process folder (the OCPP process too) and documents every process port', () => {
    const build = stage('build')!;
    const copied = build.instructions.filter((i) => i.keyword === 'COPY').map((i) => i.args.split(' ')[0]);
    for (const folder of ['platform', 'gateway', 'subgraphs', 'ocpp', 'schema']) expect(copied).toContain(folder);
    const include = (JSON.parse(readFileSync(path.join(root, 'tsconfig.build.json'), 'utf8')) as { include: string[] })
      .include;
    for (const folder of ['platform', 'gateway', 'subgraphs', 'ocpp']) expect(include).toContain(folder);
    const exposed = final.instructions
      .find((i) => i.keyword === 'EXPOSE')
      ?.args.split(' ')
      .map(Number);
    expect(exposed).toEqual([4000, 4001, 4002, 4003, 4004, 4010]);
  });

  it('has a .dockerignore that keeps local state and secrets out of the build context', () => {
    const ignored = readFileSync(path.join(root, '.dockerignore'), 'utf8')
      .split('\n')
      .map((l) => l.trim());
    for (const entry of ['**/node_modules', 'dist', '.data', '.git', '.env*', 'test']) expect(ignored).toContain(entry);
  });
});

describe('the compiled output the image copies (npm run build)', () => {
  const out = path.join(root, '.cache', `build-test-${process.pid}`);
  const config = testConfig();
  const entries = [
    'deploy/chargegraph.js',
    'gateway/main.js',
    'subgraphs/migrate.js',
    'subgraphs/operator/main.js',
    'subgraphs/station/main.js',
    'subgraphs/session/main.js',
    'subgraphs/payment/main.js',
    'ocpp/main.js',
    'deploy/migrate-ocpp.js',
  ];

  beforeAll(() => {
    // The build's two steps, into a folder of this test's own (dist/ may be in use).
    const tsc = spawnSync(
      process.execPath,
      [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json', '--outDir', out],
      { cwd: root, encoding: 'utf8' },
    );
    expect(tsc.stdout + tsc.stderr).toBe('');
    const assets = spawnSync(process.execPath, ['--import', 'tsx', 'deploy/copy-assets.ts', out], {
      cwd: root,
      encoding: 'utf8',
    });
    expect(assets.status, assets.stderr).toBe(0);
  }, 120_000);
  afterAll(async () => {
    rmSync(out, { recursive: true, force: true });
    await dropDatabase(databaseUrl(config, 'operator'));
    await dropDatabase(ocppDatabaseUrl(config));
    await dropDatabase(busDatabaseUrl(config));
  });

  it('has every entry the Dockerfile and the manifests start, and the files they read', () => {
    for (const file of [...entries, 'schema/supergraph.graphql', 'gateway/ide/dist/manifest.json'])
      expect(existsSync(path.join(out, file)), file).toBe(true);
    expect(existsSync(path.join(out, 'test'))).toBe(false);
    expect(existsSync(path.join(out, 'gateway/ide/client'))).toBe(false);
  });

  it('imports nothing from the dev dependencies (the image has none)', () => {
    const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    const allowed = new Set([...Object.keys(pkg.dependencies), ...builtinModules]);
    const seen = new Set<string>();
    const bare = new Set<string>();
    const visit = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      const source = readFileSync(file, 'utf8');
      const specifiers = Array.from(
        source.matchAll(
          /(?:^|\s)(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|^import\s*['"]([^'"]+)['"]/gm,
        ),
        (m) => m[1] ?? m[2] ?? m[3],
      );
      for (const specifier of specifiers) {
        if (specifier.startsWith('.')) visit(path.resolve(path.dirname(file), specifier));
        else
          bare.add(
            specifier.startsWith('node:')
              ? specifier.slice(5)
              : specifier.startsWith('@')
                ? specifier.split('/').slice(0, 2).join('/')
                : specifier.split('/')[0],
          );
      }
    };
    for (const entry of entries) visit(path.join(out, entry));
    expect(seen.size).toBeGreaterThan(50);
    expect([...bare].filter((name) => !allowed.has(name))).toEqual([]);
  });

  it('runs: migrate applies and exits, a subgraph serves health and metrics and stops on SIGTERM with exit 0', async () => {
    const env = {
      ...process.env,
      NODE_ENV: 'test',
      LOG_LEVEL: 'warn',
      DATABASE_URL: config.DATABASE_URL,
      DATABASE_PREFIX: config.DATABASE_PREFIX,
    };
    const migrate = spawnSync(process.execPath, [path.join(out, 'deploy/chargegraph.js'), 'migrate', 'operator'], {
      cwd: root,
      env,
      encoding: 'utf8',
    });
    expect(migrate.status, migrate.stderr).toBe(0);
    const port = await freePort();
    const child = spawn(process.execPath, [path.join(out, 'deploy/chargegraph.js'), 'operator'], {
      cwd: root,
      env: { ...env, OPERATOR_PORT: String(port), MIGRATE_ON_START: 'false' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (c) => (output += c));
    child.stderr.on('data', (c) => (output += c));
    try {
      let ready: Response | undefined;
      for (let i = 0; i < 100 && !ready?.ok; i++) {
        ready = await fetch(`http://127.0.0.1:${port}/health/ready`).catch(() => undefined);
        if (!ready?.ok) await new Promise((r) => setTimeout(r, 100));
      }
      expect(ready?.status, output).toBe(200);
      expect(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()).toMatch(
        /chargegraph_db_pool_connections\{service="operator",state="max"\} \d+/,
      );
      child.kill('SIGTERM');
      const [code] = await once(child, 'exit');
      expect(code, output).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  }, 60_000);

  it('runs the OCPP role: migrate ocpp applies and exits, the process serves health and metrics, refuses upgrades off /ocpp/<id>, stops on SIGTERM with exit 0', async () => {
    const env = {
      ...process.env,
      NODE_ENV: 'test',
      LOG_LEVEL: 'warn',
      DATABASE_URL: config.DATABASE_URL,
      DATABASE_PREFIX: config.DATABASE_PREFIX,
    };
    const migrate = spawnSync(process.execPath, [path.join(out, 'deploy/chargegraph.js'), 'migrate', 'ocpp'], {
      cwd: root,
      env,
      encoding: 'utf8',
    });
    expect(migrate.status, migrate.stderr).toBe(0);
    const port = await freePort();
    const child = spawn(process.execPath, [path.join(out, 'deploy/chargegraph.js'), 'ocpp'], {
      cwd: root,
      env: { ...env, OCPP_PORT: String(port), MIGRATE_ON_START: 'false' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (c) => (output += c));
    child.stderr.on('data', (c) => (output += c));
    try {
      let ready: Response | undefined;
      for (let i = 0; i < 100 && !ready?.ok; i++) {
        ready = await fetch(`http://127.0.0.1:${port}/health/ready`).catch(() => undefined);
        if (!ready?.ok) await new Promise((r) => setTimeout(r, 100));
      }
      expect(ready?.status, output).toBe(200);
      expect(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()).toMatch(
        /chargegraph_ocpp_connected_chargers/,
      );
      const upgrade = await new Promise<number>((resolve, reject) => {
        const request = http.get(`http://127.0.0.1:${port}/elsewhere`, {
          headers: {
            connection: 'Upgrade',
            upgrade: 'websocket',
            'sec-websocket-version': '13',
            'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
          },
        });
        request.on('response', (response) => resolve(response.statusCode ?? 0));
        request.on('upgrade', () => resolve(101));
        request.on('error', reject);
      });
      expect(upgrade).toBe(404);
      child.kill('SIGTERM');
      const [code] = await once(child, 'exit');
      expect(code, output).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  }, 60_000);
});
