// The bearer token: asked for in the page when an answer is 401, kept in sessionStorage (this tab
// only, gone when it closes), and sent with every request once known.

const TOKEN_KEY = 'media-library.token';
/** Dispatched on window when the token is set or forgotten (access.js asks what it may do). */
export const TOKEN_CHANGED = 'media-library:token-changed';
// Set once a read (listing, download) answered 401: <audio src> cannot send a token, so players
// then fetch the file with the token first (see file-card.js).
const READS_KEY = 'media-library.readsNeedToken';

const ui = {
  box: document.getElementById('token-box'),
  state: document.getElementById('token-state'),
  open: document.getElementById('token-open'),
  forget: document.getElementById('token-forget'),
  panel: document.getElementById('token-panel'),
  message: document.getElementById('token-message'),
  form: document.getElementById('token-form'),
  input: document.getElementById('token-input'),
  cancel: document.getElementById('token-cancel'),
};

/** Callers waiting for the person to enter a token; all of them retry with the same answer. */
let waiting = [];

export function currentToken() {
  return sessionStorage.getItem(TOKEN_KEY) ?? '';
}

export function readsNeedToken() {
  return sessionStorage.getItem(READS_KEY) === 'yes';
}

/** Request headers that carry the token, if there is one. */
export function authHeaders() {
  const token = currentToken();
  return token ? { Authorization: `Bearer ${token}` } : {};
}

/**
 * Runs `send(headers)`; while the answer is 401, asks for a token (calling `onAsk` first) and sends
 * again. Gives back the last answer, which is still the 401 when the person cancels the form.
 */
export async function authorized(send, access, onAsk = () => {}) {
  for (;;) {
    const sentToken = currentToken();
    const answer = await send(authHeaders());
    if (answer.code !== 401) return answer;
    if (access === 'read') sessionStorage.setItem(READS_KEY, 'yes');
    // Another request may have brought a new token while this one was on its way: just retry.
    if (currentToken() !== sentToken) continue;
    onAsk();
    const given = await askForToken(answer, access, sentToken !== '');
    if (!given) return answer;
  }
}

/** Shows the form with why it is needed; resolves true once a token is saved, false on Cancel. */
function askForToken(answer, access, refused) {
  const what = access === 'read' ? 'browse and play files' : 'upload and delete files';
  ui.message.textContent = refused
    ? `The token was refused (${answer.code}: ${answer.reason}). Check it and enter it again.`
    : `This service needs a bearer token to ${what} (${answer.code}: ${answer.reason}).`;
  showPanel();
  return new Promise((resolve) => waiting.push(resolve));
}

function showPanel() {
  ui.panel.hidden = false;
  ui.input.value = '';
  ui.input.focus();
}

function settle(given) {
  ui.panel.hidden = true;
  const resolvers = waiting;
  waiting = [];
  for (const resolve of resolvers) resolve(given);
}

function showState() {
  const known = currentToken() !== '';
  ui.state.textContent = known ? 'Token set for this tab' : 'No token';
  ui.forget.hidden = !known;
  ui.open.textContent = known ? 'Change token' : 'Enter token';
}

// RFC 6750 tokens are printable ASCII; anything else could not even be put in a request header.
const TOKEN_SHAPE = /^[\x21-\x7e]+$/;

ui.form.addEventListener('submit', (submit) => {
  submit.preventDefault();
  const token = ui.input.value.trim();
  if (!TOKEN_SHAPE.test(token)) {
    ui.message.textContent = 'A bearer token is printable ASCII without spaces: check what you pasted.';
    return;
  }
  sessionStorage.setItem(TOKEN_KEY, token);
  ui.input.value = '';
  showState();
  window.dispatchEvent(new Event(TOKEN_CHANGED));
  settle(true);
});

ui.cancel.addEventListener('click', () => settle(false));

ui.open.addEventListener('click', () => {
  ui.message.textContent = 'Enter the token the service was configured with (auth.tokens).';
  showPanel();
});

ui.forget.addEventListener('click', () => {
  sessionStorage.removeItem(TOKEN_KEY);
  showState();
  window.dispatchEvent(new Event(TOKEN_CHANGED));
});

/** Hides the token controls when the service has no tokens; keeps them when it cannot tell. */
async function hideBoxWithoutTokens() {
  const answer = await fetch('/auth')
    .then((response) => response.json())
    .catch(() => undefined);
  const known = typeof answer?.writesNeedToken === 'boolean' && typeof answer?.readsNeedToken === 'boolean';
  const needed = answer?.writesNeedToken || answer?.readsNeedToken;
  // What the page learnt, for styles and tests: none, needed or unknown.
  ui.box.dataset.tokens = !known ? 'unknown' : needed ? 'needed' : 'none';
  ui.box.hidden = known && !needed;
}

showState();
void hideBoxWithoutTokens();
