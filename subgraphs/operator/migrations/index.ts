import type { MigrationObject } from '@mikro-orm/core';
import { Migration20261124082140 } from './Migration20261124082140.js';
import { Migration20261202184800 } from './Migration20261202184800.js';
import { Migration20261203121439 } from './Migration20261203121439.js';

/** Committed migrations in order; add new ones with `npm run migration:create -- operator`. */
export const migrations: MigrationObject[] = [
  { name: 'Migration20261124082140', class: Migration20261124082140 },
  { name: 'Migration20261202184800', class: Migration20261202184800 },
  { name: 'Migration20261203121439', class: Migration20261203121439 },
];
