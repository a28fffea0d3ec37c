/** What the runner asks a load process to do; sent as JSON in argv[2]. */
export type RequestKind =
  /** POST a multipart upload of `size` bytes of MP3 under a fresh file name each time. */
  | { kind: 'multipart-upload'; size: number }
  /** The same bytes as a urlencoded form, percent-encoded. */
  | { kind: 'urlencoded-upload'; size: number }
  /** GET `path`; with `range`, a random `range.length`-byte range of a `range.fileSize`-byte file; `headers` on every request (a bearer key). */
  | { kind: 'download'; path: string; range?: { fileSize: number; length: number }; headers?: Record<string, string> }
  /** A plain GET of `path` (the proxy scenarios). */
  | { kind: 'get'; path: string };

export interface AutocannonJob {
  url: string;
  connections: number;
  durationSeconds: number;
  request: RequestKind;
  /** Every answer must have this status; any other fails the run. */
  expectStatus: number;
}

export interface LoadResult {
  /** Answers with the expected status. */
  ok: number;
  /** Answers with any other status, by status. */
  unexpected: Record<string, number>;
  errors: number;
  seconds: number;
  reqPerSec: number;
  /** Bytes read from the server per second (responses, headers included). */
  readBytesPerSec: number;
  /** Body bytes sent to the server per second. */
  sentBytesPerSec: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  /** CPU seconds the load process itself used. */
  cpuSeconds: number;
}

/** Fails loudly: a benchmark whose answers are errors measures the error path. */
export function assertClean(what: string, result: LoadResult, { allowNone = false } = {}): void {
  const unexpected = Object.entries(result.unexpected);
  if (unexpected.length > 0 || result.errors > 0 || (result.ok === 0 && !allowNone)) {
    const statuses = unexpected.map(([status, count]) => `${count} x HTTP ${status}`).join(', ') || 'none';
    throw new Error(`${what}: ${result.ok} good answers, unexpected: ${statuses}, socket errors: ${result.errors}`);
  }
}

export interface StreamUploadJob {
  url: string;
  /** Uploads in flight at once, each on its own connection. */
  concurrency: number;
  /** Bytes of each uploaded file. */
  size: number;
  /** Store under bench/<filename> (only with concurrency 1); a fresh name otherwise. */
  filename?: string;
  /** Name the directory with a `directory` field before the file part (not its field name): on S3 the file then streams. */
  directoryField?: boolean;
  /** The whole run is abandoned (and fails) after this long. */
  timeoutSeconds: number;
}

/** One resumable (tus) upload of `size` bytes in `chunkSize` PATCHes (load/tus-upload-load.ts). */
export interface TusUploadJob {
  url: string;
  size: number;
  chunkSize: number;
  filename: string;
  timeoutSeconds: number;
  /** The last PATCH's status: 200 from the service (it publishes), 204 from a plain tus server. */
  finalStatus?: number;
}

export interface StreamUploadResult {
  uploads: number;
  /** File bytes of the uploads answered 200. */
  bytes: number;
  seconds: number;
  bytesPerSec: number;
  statuses: Record<string, number>;
  errors: string[];
  /** CPU seconds the load process itself used. */
  cpuSeconds: number;
}

export interface StreamDownloadJob {
  url: string;
  path: string;
  /** Downloads in flight at once, each on its own connection, each repeated until the time is up. */
  concurrency: number;
  durationSeconds: number;
}

export interface StreamDownloadResult {
  /** Downloads answered 200 and read to their end. */
  completed: number;
  /** Body bytes received, those of downloads cut at the deadline included. */
  bytes: number;
  seconds: number;
  bytesPerSec: number;
  /** Answers other than 200, by status, and socket errors. */
  unexpected: Record<string, number>;
  errors: string[];
  /** CPU seconds the load process itself used. */
  cpuSeconds: number;
}

export interface ChatLoadJob {
  /** ws:// URL of the WebSocket endpoint; `?name=&room=` is appended. */
  url: string;
  room: string;
  /** Connections, all in `room`. */
  clients: number;
  /** The first `senders` clients send. */
  senders: number;
  /** Messages per second per sender. */
  ratePerSec: number;
  /** Bytes of padding in each message's text (the text also holds a sequence number). */
  textBytes: number;
  /** Pause after the last client joined, before the first message. */
  settleMs: number;
  /** Sending whose deliveries are not counted. */
  warmupSeconds: number;
  /** Sending whose deliveries are counted. */
  durationSeconds: number;
  /** How long to wait for the last measured deliveries after the last message was sent. */
  drainMs: number;
}

export interface ChatLoadResult {
  clients: number;
  /** Messages sent during the measured window. */
  messages: number;
  /** messages x clients: every member of the room, the sender included, gets each one. */
  expectedDeliveries: number;
  /** Deliveries of those messages that arrived (by the drain deadline). */
  deliveries: number;
  seconds: number;
  deliveriesPerSec: number;
  /** What was offered: expectedDeliveries / seconds. */
  offeredPerSec: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  latencyMaxMs: number;
  /** Clients the server closed during the run (e.g. dropped as slow readers). */
  closedEarly: number;
  errors: string[];
  /** CPU seconds the load process itself used. */
  cpuSeconds: number;
}

export interface ListingLoadJob {
  url: string;
  directory: string;
  /** Files per page. */
  limit: number;
  /** A walk follows `nextCursor` from the first page for at most this many pages, then starts again. */
  maxPages: number;
  /** Files in the directory: a walk that reaches its end must have seen exactly these. */
  expectedFiles: number;
  durationSeconds: number;
}

export interface ListingLoadResult {
  /** Pages answered during the measured walks. */
  pages: number;
  seconds: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  /** The first walk, not measured: files copied in by hand are seen for the first time there. */
  firstWalkMs: number;
  /** CPU seconds the load process itself used. */
  cpuSeconds: number;
}
