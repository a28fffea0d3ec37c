// What the key in use may do (GET /auth with it), so the page offers only the buttons it can use:
// Upload with `write`, Delete with `delete`, Share with `read` when the service signs URLs.

import { authHeaders, TOKEN_CHANGED } from './token.js';

let state = { signedUrls: false, key: undefined };
let loading;

/** Asks the service again (at start, and when the token changes). */
export function refreshAccess() {
  loading = fetch('/auth', { headers: authHeaders(), cache: 'no-store' })
    .then((response) => response.json())
    .then((answer) => {
      state = { signedUrls: answer?.signedUrls === true, key: answer?.key };
      document.getElementById('upload-panel').hidden = !may('write', undefined);
    })
    .catch(() => {
      // Unknown: offer everything; the service's own answer will say what was refused.
    });
  return loading;
}

/** Resolves once the service said what the key may do (or could not). */
export function accessKnown() {
  return loading ?? refreshAccess();
}

/**
 * Whether the key may use `scope` in `directory` (any directory when undefined). Without a known
 * key everything is offered: the service answers 401 and the page asks for a key.
 */
export function may(scope, directory) {
  const { key } = state;
  if (!key) return true;
  if (!key.scopes.includes(scope)) return false;
  if (!key.directories || directory === undefined) return true;
  return key.directories.some((prefix) => directory === prefix || directory.startsWith(`${prefix}/`));
}

export function canShare(directory) {
  return state.signedUrls && may('read', directory);
}

window.addEventListener(TOKEN_CHANGED, () => void refreshAccess());
