import { createElement as h, useEffect, useRef, useState, type FormEvent } from 'react';
import { Button, useGraphiQL, useGraphiQLActions, type GraphiQLPlugin } from '@graphiql/react';
import { inputValue } from './browser.js';
import { KeyIcon } from './icons.js';
import { extractToken, readClaims, tokenStore, useToken } from './token.js';

export const AUTH_PLUGIN_TITLE = 'Authentication';

function describe(token: string): string {
  if (!token) return 'No token: requests are sent anonymously.';
  const claims = readClaims(token);
  if (!claims) return 'Using an opaque token.';
  const who = [claims.role, claims.sub && `(${claims.sub})`].filter(Boolean).join(' ');
  const operator = claims.operatorId ? `, operator ${claims.operatorId}` : '';
  let expiry = '';
  if (typeof claims.exp === 'number') {
    const at = new Date(claims.exp * 1000);
    expiry =
      at.getTime() < Date.now() ? ` — EXPIRED at ${at.toLocaleString()}` : `, valid until ${at.toLocaleString()}`;
  }
  return `Signed in as ${who || 'an unknown identity'}${operator}${expiry}.`;
}

function AuthPanel() {
  const token = useToken();
  const [draft, setDraft] = useState('');
  const { introspect } = useGraphiQLActions();
  const fetchError = useGraphiQL((state) => state.fetchError);
  const isIntrospecting = useGraphiQL((state) => state.isIntrospecting);
  const responseEditor = useGraphiQL((state) => state.responseEditor);
  /** The "introspection refused" error shown before the token was given, to clear once the schema loads. */
  const staleError = useRef<{ text: string; started: boolean } | null>(null);

  useEffect(() => {
    const stale = staleError.current;
    if (!stale) return;
    if (isIntrospecting) {
      stale.started = true;
      return;
    }
    if (!stale.started) return;
    staleError.current = null;
    if (!fetchError && responseEditor?.getValue() === stale.text) responseEditor.setValue('');
  }, [isIntrospecting, fetchError, responseEditor]);

  const apply = (next: string) => {
    tokenStore.set(next);
    setDraft('');
    const shown = responseEditor?.getValue();
    staleError.current = fetchError && shown === fetchError ? { text: shown, started: false } : null;
    // The schema an identity may introspect depends on it: fetch it again with the new credentials.
    void introspect();
  };
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    apply(extractToken(draft));
  };
  const expired = (readClaims(token)?.exp ?? Infinity) * 1000 < Date.now();

  return h(
    'form',
    { className: 'cg-panel', onSubmit, 'aria-label': 'Bearer token' },
    h('div', { className: 'cg-panel-title' }, AUTH_PLUGIN_TITLE),
    h(
      'p',
      {
        id: 'cg-token-status',
        role: 'status',
        className: `cg-status ${!token ? 'cg-status-none' : expired ? 'cg-status-error' : ''}`,
      },
      describe(token),
    ),
    h(
      'label',
      { htmlFor: 'cg-token-input' },
      'Paste a token (sent as ',
      h('code', null, 'Authorization: Bearer …'),
      '):',
    ),
    h('textarea', {
      id: 'cg-token-input',
      className: 'cg-token-input',
      rows: 5,
      spellCheck: false,
      autoComplete: 'off',
      placeholder: 'eyJhbGciOiJIUzI1NiJ9…',
      value: draft,
      onChange: (event: { target: unknown }) => setDraft(inputValue(event)),
    }),
    h(
      'div',
      { className: 'cg-row' },
      h(Button, { type: 'submit', id: 'cg-token-save', disabled: !draft.trim() }, 'Use token'),
      h(Button, { type: 'button', id: 'cg-token-clear', disabled: !token, onClick: () => apply('') }, 'Sign out'),
    ),
    h(
      'div',
      { className: 'cg-help' },
      h('p', null, 'Where to get one:'),
      h(
        'ul',
        null,
        h(
          'li',
          null,
          h('code', null, 'npm start'),
          ' prints a development token per role — paste the whole ANALYST or PLATFORM_ADMIN line.',
        ),
        h('li', null, h('code', null, 'npm run --silent token -- --role ANALYST'), ' prints a fresh one.'),
        h('li', null, 'In other environments, use a token from your identity provider.'),
      ),
      h(
        'p',
        null,
        'The token is kept in this browser (localStorage) until you sign out. Headers typed in the Headers editor win over it.',
      ),
    ),
  );
}

export const authPlugin: GraphiQLPlugin = { title: AUTH_PLUGIN_TITLE, icon: KeyIcon, content: AuthPanel };
