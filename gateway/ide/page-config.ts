import type { SavedQuery } from './saved-queries.js';

/** What the server hands the IDE page, as JSON in `<script type="application/json" id={PAGE_CONFIG_ELEMENT_ID}>`. */
export interface IdePageConfig {
  /** Absolute path of the GraphQL endpoint on this origin, e.g. `/graphql`. */
  graphqlPath: string;
  savedQueries: SavedQuery[];
}

export const PAGE_CONFIG_ELEMENT_ID = 'chargegraph-ide-config';

/** localStorage key of the bearer token pasted into the Authentication panel. */
export const TOKEN_STORAGE_KEY = 'chargegraph-ide:token';
