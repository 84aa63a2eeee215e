import type { MigrationObject } from '@mikro-orm/core';
import { Migration20261124083246 } from './Migration20261124083246.js';
import { Migration20261124092106 } from './Migration20261124092106.js';
import { Migration20261124132004 } from './Migration20261124132004.js';
import { Migration20261202190000 } from './Migration20261202190000.js';
import { Migration20261203085006 } from './Migration20261203085006.js';

/** Committed migrations in order; add new ones with `npm run migration:create -- session`. */
export const migrations: MigrationObject[] = [
  { name: 'Migration20261124083246', class: Migration20261124083246 },
  { name: 'Migration20261124092106', class: Migration20261124092106 },
  { name: 'Migration20261124132004', class: Migration20261124132004 },
  { name: 'Migration20261202190000', class: Migration20261202190000 },
  { name: 'Migration20261203085006', class: Migration20261203085006 },
];
