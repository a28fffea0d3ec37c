/** One Server-Sent Events message as a browser's EventSource would dispatch it. */
export interface FeedMessage {
  id?: string;
  event?: string;
  data: string;
}

export interface Feed {
  status: number;
  /** The next message (comments are kept apart); rejects after `timeoutMs`. */
  next(timeoutMs?: number): Promise<FeedMessage>;
  comments: string[];
  /** Resolves when the server ends the stream (or drops the reader). */
  ended: Promise<void>;
  close(): void;
}

/** GET /events as text/event-stream, parsed as the SSE spec says (fields per line, messages per blank line). */
export async function openFeed(url: string, headers: Record<string, string> = {}): Promise<Feed> {
  const abort = new AbortController();
  const answer = await fetch(`${url}/events`, { headers: { Accept: 'text/event-stream', ...headers }, signal: abort.signal });
  const messages: FeedMessage[] = [];
  const comments: string[] = [];
  const waiting: Array<() => void> = [];
  const wake = () => waiting.splice(0).forEach((resolve) => resolve());
  const ended = (async () => {
    if (!answer.body) return;
    const decoder = new TextDecoder();
    let buffered = '';
    try {
      const reader = answer.body.getReader();
      for (let read = await reader.read(); !read.done; read = await reader.read()) {
        buffered += decoder.decode(read.value, { stream: true });
        for (let end = buffered.indexOf('\n\n'); end >= 0; end = buffered.indexOf('\n\n')) {
          const block = buffered.slice(0, end);
          buffered = buffered.slice(end + 2);
          const message: FeedMessage = { data: '' };
          let isMessage = false;
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) comments.push(line.slice(1).trim());
            const match = /^(id|event|data): ?(.*)$/.exec(line);
            if (!match) continue;
            isMessage = true;
            const [, field, value] = match as unknown as [string, 'id' | 'event' | 'data', string];
            message[field] = field === 'data' && message.data ? `${message.data}\n${value}` : value;
          }
          if (isMessage) messages.push(message);
          wake();
        }
      }
    } catch {
      // Aborted by close(), or dropped by the server: `ended` resolves either way.
    }
    wake();
  })();
  return {
    status: answer.status,
    comments,
    ended,
    close: () => abort.abort(),
    async next(timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      while (messages.length === 0) {
        if (Date.now() > deadline) throw new Error(`no event within ${timeoutMs} ms`);
        await Promise.race([new Promise<void>((resolve) => waiting.push(resolve)), new Promise((resolve) => setTimeout(resolve, 50))]);
      }
      return messages.shift()!;
    },
  };
}
