import type { MigrationObject } from '@mikro-orm/core';
import { Migration20261124084528 } from './Migration20261124084528.js';
import { Migration20261124092953 } from './Migration20261124092953.js';
import { Migration20261203062133 } from './Migration20261203062133.js';
import { Migration20261203065431 } from './Migration20261203065431.js';
import { Migration20261203121958 } from './Migration20261203121958.js';
import { Migration20261203123753 } from './Migration20261203123753.js';
import { Migration20261203124500 } from './Migration20261203124500.js';
import { Migration20261203125511 } from './Migration20261203125511.js';

/** Committed migrations in order; add new ones with `npm run migration:create -- payment`. */
export const migrations: MigrationObject[] = [
  { name: 'Migration20261124084528', class: Migration20261124084528 },
  { name: 'Migration20261124092953', class: Migration20261124092953 },
  { name: 'Migration20261203062133', class: Migration20261203062133 },
  { name: 'Migration20261203065431', class: Migration20261203065431 },
  { name: 'Migration20261203121958', class: Migration20261203121958 },
  { name: 'Migration20261203123753', class: Migration20261203123753 },
  { name: 'Migration20261203124500', class: Migration20261203124500 },
  { name: 'Migration20261203125511', class: Migration20261203125511 },
];
