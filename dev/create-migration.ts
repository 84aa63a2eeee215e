/**
 * Writes the next migration of one subgraph from the difference between its entities and its committed migrations.
 * Usage: npm run migration:create -- <subgraph>
 */
import 'reflect-metadata';
import { readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { loadConfig, SUBGRAPH_NAMES, type SubgraphName } from '../platform/config.js';
import { openDatabase } from '../platform/database.js';
import { databaseUrl, dropDatabase } from '../platform/database-admin.js';
import { subgraphModules } from '../subgraphs/index.js';

const name = process.argv[2] as SubgraphName;
const module = subgraphModules[name];
if (!SUBGRAPH_NAMES.includes(name) || !module) {
  console.error(`usage: npm run migration:create -- <${SUBGRAPH_NAMES.join('|')}>`);
  process.exit(64);
}

const config = loadConfig();
const scratchUrl = databaseUrl({ ...config, DATABASE_PREFIX: `${config.DATABASE_PREFIX}_scratch` }, name);
await dropDatabase(scratchUrl);
const orm = await openDatabase({ clientUrl: scratchUrl, entities: module.entities, migrations: module.migrations });
const folder = path.resolve('subgraphs', name, 'migrations');
const result = await orm.getMigrator().createMigration(folder);
await orm.close(true);
await dropDatabase(scratchUrl);

if (!result.fileName) {
  console.log('No schema changes: no migration written.');
  process.exit(0);
}

// The list of migrations is explicit (no folder scanning at runtime), so rewrite it from the folder.
const files = (await readdir(folder)).filter((f) => /^Migration\d+.*\.ts$/.test(f)).sort();
const classes = files.map((f) => f.replace(/\.ts$/, ''));
const index = [
  "import type { MigrationObject } from '@mikro-orm/core';",
  ...classes.map((c) => `import { ${c} } from './${c}.js';`),
  '',
  `/** Committed migrations in order; add new ones with \`npm run migration:create -- ${name}\`. */`,
  'export const migrations: MigrationObject[] = [',
  ...classes.map((c) => `  { name: '${c}', class: ${c} },`),
  '];',
  '',
].join('\n');
await writeFile(path.join(folder, 'index.ts'), index);
console.log(`Wrote ${path.join(folder, result.fileName)} and updated the migration list.`);
