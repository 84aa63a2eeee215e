import { Kind, parse, type OperationDefinitionNode } from 'graphql';
import { createElement as h, useState } from 'react';
import { UnStyledButton, useGraphiQL, useGraphiQLActions, type GraphiQLPlugin } from '@graphiql/react';
import type { SavedQuery } from '../saved-queries.js';
import { inputValue } from './browser.js';
import { BookIcon, SearchIcon } from './icons.js';

export const EXAMPLES_PLUGIN_TITLE = 'Examples';

/** The query without comments and with whitespace collapsed (no example has a `#` inside a string). */
const normalize = (query: string | null | undefined) => (query ?? '').replace(/#.*$/gm, '').replace(/\s+/g, ' ').trim();

/** The saved example queries; a click opens one in a tab (the one already holding it, an empty one, or a new one). */
export function examplesPlugin(examples: SavedQuery[]): GraphiQLPlugin {
  function ExamplesPanel() {
    const tabs = useGraphiQL((state) => state.tabs);
    const activeTabIndex = useGraphiQL((state) => state.activeTabIndex);
    const queryEditor = useGraphiQL((state) => state.queryEditor);
    const variableEditor = useGraphiQL((state) => state.variableEditor);
    const { addTab, changeTab, setOperationFacts } = useGraphiQLActions();
    const [filter, setFilter] = useState('');
    const words = filter.toLowerCase().split(/\s+/).filter(Boolean);
    const shown = examples.filter((e) => words.every((w) => `${e.title} ${e.description}`.toLowerCase().includes(w)));

    const open = (example: SavedQuery) => {
      const existing = tabs.findIndex((tab) => normalize(tab.query) === normalize(example.query));
      if (existing !== -1) {
        if (existing !== activeTabIndex) changeTab(existing);
        return;
      }
      if (normalize(queryEditor?.getValue()) !== '') addTab();
      queryEditor?.setValue(example.query);
      variableEditor?.setValue(example.variables ? JSON.stringify(example.variables, null, 2) : '');
      // GraphiQL derives the operation to run from the editor 100 ms after a change; a Run before that would still
      // name the previous tab's operation. Set it now.
      const documentAST = parse(example.query);
      const operations = documentAST.definitions.filter(
        (d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION,
      );
      setOperationFacts({ documentAST, operations, operationName: operations[0]?.name?.value });
      queryEditor?.focus();
    };

    return h(
      'div',
      { className: 'cg-panel' },
      h('div', { className: 'cg-panel-title' }, EXAMPLES_PLUGIN_TITLE),
      h(
        'p',
        { className: 'cg-help' },
        'Saved queries for analysts. Pick one, adjust its variables, then run it (Ctrl/⌘ + Enter). Analytics open with a chart; every list exports as CSV.',
      ),
      h(
        'label',
        { className: 'cg-search' },
        h(SearchIcon, { 'aria-hidden': true, className: 'cg-search-icon' }),
        h('input', {
          type: 'search',
          className: 'cg-search-input',
          placeholder: 'Search examples…',
          'aria-label': 'Search examples',
          value: filter,
          onChange: (event: { target: unknown }) => setFilter(inputValue(event)),
        }),
      ),
      shown.length === 0 && h('p', { className: 'cg-help' }, 'No example matches.'),
      h(
        'ul',
        { className: 'cg-examples' },
        ...shown.map((example) =>
          h(
            'li',
            { key: example.id, 'data-example': example.id },
            h(
              UnStyledButton,
              { type: 'button', className: 'cg-example', onClick: () => open(example) },
              h('span', { className: 'cg-example-title' }, example.title),
              h('span', { className: 'cg-example-description' }, example.description),
            ),
          ),
        ),
      ),
    );
  }
  return { title: EXAMPLES_PLUGIN_TITLE, icon: BookIcon, content: ExamplesPanel };
}
