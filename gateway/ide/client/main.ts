// Workers first: Monaco reads MonacoEnvironment when it starts.
import './workers.js';
import '@graphiql/react/font/roboto.css';
import '@graphiql/react/font/fira-code.css';
import '@graphiql/react/style.css';
import 'graphiql/graphiql.css';
// The plugins GraphiQL ships bring their own style sheets, which graphiql.css does not include.
import '@graphiql/plugin-doc-explorer/style.css';
import '@graphiql/plugin-history/style.css';
import '@graphiql/plugin-explorer/style.css';
import 'uplot/dist/uPlot.min.css';
import './ide.css';
import { createElement as h, StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { GraphiQL, HISTORY_PLUGIN } from 'graphiql';
import { explorerPlugin } from '@graphiql/plugin-explorer';
import { PAGE_CONFIG_ELEMENT_ID, type IdePageConfig } from '../page-config.js';
import { AUTH_PLUGIN_TITLE, authPlugin } from './auth-plugin.js';
import { EXAMPLES_PLUGIN_TITLE, examplesPlugin } from './examples-plugin.js';
import { createFetcher } from './fetcher.js';
import { resultView } from './result-view.js';
import { tokenStore } from './token.js';
import { browser } from './browser.js';

const configElement = browser.document.getElementById(PAGE_CONFIG_ELEMENT_ID);
if (!configElement?.textContent) throw new Error(`#${PAGE_CONFIG_ELEMENT_ID} is missing from the page`);
const config = JSON.parse(configElement.textContent) as IdePageConfig;

const defaultQuery = `# ChargeGraph GraphQL IDE
#
# 1. Sign in: key icon on the left;
#    paste a token (\`npm start\` prints
#    development tokens).
# 2. Examples: book icon on the left.
# 3. Run: Ctrl/⌘ + Enter or ▶.
#    Ctrl/⌘ + Space autocompletes.

${config.savedQueries[0]?.query ?? '{ __typename }'}`;

// A shared link: /graphql?query=…&variables=… opens in a tab.
const link = new URLSearchParams(browser.location.search);

// The docs explorer is GraphiQL's reference plugin and always there; the history must be listed with ours.
const plugins = [examplesPlugin(config.savedQueries), authPlugin, HISTORY_PLUGIN, explorerPlugin()];

const ResultView = resultView(config.savedQueries);

const root = browser.document.getElementById('root');
if (!root) throw new Error('#root is missing from the page');
createRoot(root).render(
  h(
    StrictMode,
    null,
    h(
      GraphiQL,
      {
        fetcher: createFetcher(config.graphqlPath),
        plugins,
        // A first visit starts on the token panel; later ones on the examples.
        visiblePlugin: tokenStore.get() ? EXAMPLES_PLUGIN_TITLE : AUTH_PLUGIN_TITLE,
        defaultQuery,
        initialQuery: link.get('query') ?? undefined,
        initialVariables: link.get('variables') ?? undefined,
        defaultEditorToolsVisibility: true,
      },
      h(GraphiQL.Logo, null, 'ChargeGraph'),
      h(GraphiQL.Footer, null, h(ResultView)),
    ),
  ),
);
