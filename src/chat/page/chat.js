// The chat page: one WebSocket to /chat/ws on this page's host, reconnecting with backoff.
// Every name and text is put into the page with textContent, never parsed as HTML.

const POLICY_VIOLATION = 1008; // RFC 6455 7.4.1: refused name or room, or repeated abuse: retrying would not help
const FIRST_RETRY_MS = 500;
const MAX_RETRY_MS = 30_000;

const ui = {
  status: document.getElementById('status'),
  joinForm: document.getElementById('join-form'),
  name: document.getElementById('name'),
  room: document.getElementById('room'),
  messages: document.getElementById('messages'),
  sendForm: document.getElementById('send-form'),
  text: document.getElementById('text'),
  send: document.getElementById('send'),
};

let socket = null;
let retryTimer = null;
let attempt = 0;
let me = null;
let awaitingOwnJoin = false;

function setStatus(state, text) {
  ui.status.dataset.state = state;
  ui.status.textContent = text;
  const open = state === 'open';
  ui.text.disabled = !open;
  ui.send.disabled = !open;
}

function chatUrl() {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  const params = new URLSearchParams();
  if (ui.name.value.trim()) params.set('name', ui.name.value.trim());
  if (ui.room.value.trim()) params.set('room', ui.room.value.trim());
  return `${scheme}//${location.host}/chat/ws?${params}`;
}

function connect() {
  clearTimeout(retryTimer);
  if (socket) {
    socket.onclose = null;
    socket.close(1000);
  }
  setStatus('connecting', 'Connecting…');
  socket = new WebSocket(chatUrl());
  socket.onopen = () => {
    attempt = 0;
    setStatus('open', `Connected to room ${ui.room.value.trim() || 'lobby'}`);
  };
  socket.onmessage = (message) => handleEvent(JSON.parse(message.data));
  socket.onclose = (close) => handleClose(close);
}

function handleClose(close) {
  socket = null;
  if (close.code === POLICY_VIOLATION) {
    setStatus('closed', `Disconnected: ${close.reason || 'refused by the server'}. Fix the fields and press Join.`);
    return;
  }
  // Exponential backoff with jitter, so a restarted server is not hit by every page at once.
  const delay = Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** attempt) * (0.5 + Math.random() / 2);
  attempt += 1;
  setStatus('waiting', `Disconnected (${close.code}); reconnecting in ${Math.ceil(delay / 1000)} s…`);
  retryTimer = setTimeout(connect, delay);
}

function handleEvent(event) {
  switch (event.type) {
    case 'history':
      ui.messages.replaceChildren();
      event.messages.forEach(renderEvent);
      awaitingOwnJoin = true;
      break;
    case 'join':
      // The server sends a new member its own join first, right after the history.
      if (awaitingOwnJoin) me = event.from;
      awaitingOwnJoin = false;
      renderEvent(event);
      break;
    case 'error':
      renderLine('error', [['text', `Error: ${event.text}`]]);
      break;
    default:
      renderEvent(event);
  }
}

function renderEvent(event) {
  const time = new Date(event.at).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  if (event.type === 'message') {
    const kind = event.from === me ? 'message own' : 'message';
    renderLine(kind, [
      ['time', time],
      ['from', event.from],
      ['text', event.text],
    ]);
  } else {
    renderLine('event', [
      ['time', time],
      ['text', event.text],
    ]);
  }
}

/** Appends one list item made of spans whose content is set as text. */
function renderLine(kind, parts) {
  const stickToBottom = ui.messages.scrollTop + ui.messages.clientHeight >= ui.messages.scrollHeight - 4;
  const item = document.createElement('li');
  item.className = kind;
  for (const [part, text] of parts) {
    const span = document.createElement('span');
    span.className = part;
    span.textContent = text;
    item.append(span);
  }
  ui.messages.append(item);
  if (stickToBottom) item.scrollIntoView({ block: 'end' });
}

function restoreFields() {
  const query = new URLSearchParams(location.search);
  ui.name.value = query.get('name') ?? localStorage.getItem('chat.name') ?? '';
  ui.room.value = query.get('room') ?? localStorage.getItem('chat.room') ?? 'lobby';
}

ui.joinForm.addEventListener('submit', (submit) => {
  submit.preventDefault();
  localStorage.setItem('chat.name', ui.name.value.trim());
  localStorage.setItem('chat.room', ui.room.value.trim());
  attempt = 0;
  connect();
});

ui.sendForm.addEventListener('submit', (submit) => {
  submit.preventDefault();
  const text = ui.text.value;
  if (!text.trim() || !socket || socket.readyState !== WebSocket.OPEN) return;
  socket.send(JSON.stringify({ type: 'message', text }));
  ui.text.value = '';
});

restoreFields();
