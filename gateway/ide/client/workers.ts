/**
 * Monaco runs its language services in web workers. The build bundles each worker into its own file next to this
 * bundle and passes their hashed names in as __IDE_WORKERS__, so they are loaded from our own origin (no CDN, no blob).
 */
import { browser } from './browser.js';

declare const __IDE_WORKERS__: { editor: string; json: string; graphql: string };

Object.assign(globalThis, {
  MonacoEnvironment: {
    getWorker(_workerId: string, label: string): object {
      const file =
        label === 'json'
          ? __IDE_WORKERS__.json
          : label === 'graphql'
            ? __IDE_WORKERS__.graphql
            : __IDE_WORKERS__.editor;
      return new browser.Worker(new URL(file, import.meta.url), { name: `monaco-${label}` });
    },
  },
});
