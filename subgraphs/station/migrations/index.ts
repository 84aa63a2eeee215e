import type { MigrationObject } from '@mikro-orm/core';
import { Migration20261124083016 } from './Migration20261124083016.js';
import { Migration20261202185235 } from './Migration20261202185235.js';

/** Committed migrations in order; add new ones with `npm run migration:create -- station`. */
export const migrations: MigrationObject[] = [
  { name: 'Migration20261124083016', class: Migration20261124083016 },
  { name: 'Migration20261202185235', class: Migration20261202185235 },
];
