// Live updates: the page follows GET /events (Server-Sent Events, README "Events"), so a file that
// another client stored or deleted shows up or goes away without a reload. Read with fetch rather
// than EventSource, which cannot send the bearer token; reconnects resume with Last-Event-ID.

import { authHeaders, TOKEN_CHANGED } from './token.js';

const RECONNECT_MS = 2000;

/** Calls `onEvent({ type, timestamp, data })` for every event the caller may see, from now on. */
export function followEvents(onEvent) {
  let lastId;
  let current;
  const connect = async () => {
    const controller = new AbortController();
    current = controller;
    const headers = { Accept: 'text/event-stream', ...authHeaders() };
    if (lastId) headers['Last-Event-ID'] = lastId;
    try {
      const response = await fetch('/events', { headers, signal: controller.signal });
      // Without the right to read events (401, 403), wait for another token instead of retrying.
      if (response.status === 401 || response.status === 403) return void (await response.body?.cancel());
      if (response.ok && response.body)
        await readMessages(response.body, (id, data) => {
          lastId = id;
          onEvent(JSON.parse(data));
        });
    } catch {
      // The connection broke (or was replaced): retried below unless replaced.
    }
    if (current === controller) setTimeout(connect, RECONNECT_MS);
  };
  window.addEventListener(TOKEN_CHANGED, () => {
    current?.abort();
    void connect();
  });
  void connect();
}

/** SSE framing (WHATWG HTML 9.2): fields per line, a message per blank line, `:` lines are comments. */
async function readMessages(body, onMessage) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = '';
  for (let read = await reader.read(); !read.done; read = await reader.read()) {
    buffered += read.value;
    for (let end = buffered.indexOf('\n\n'); end >= 0; end = buffered.indexOf('\n\n')) {
      const fields = {};
      for (const line of buffered.slice(0, end).split('\n')) {
        const match = /^(id|data): ?(.*)$/.exec(line);
        if (match) fields[match[1]] = match[2];
      }
      buffered = buffered.slice(end + 2);
      if (fields.data !== undefined) onMessage(fields.id, fields.data);
    }
  }
}
