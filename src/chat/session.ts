import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import { WebSocket, type RawData } from 'ws';
import type { ChatConfig } from './config.ts';
import { connectQuerySchema, errorEvent, parseClientEvent, roomEvent, type ErrorCode, type ServerEvent } from './protocol.ts';
import { RateWindow } from './rate-limit.ts';
import type { ChatHub } from './rooms.ts';

// RFC 6455 section 7.4.1 close codes used here (1007 and 1009 are sent by ws itself).
const CLOSE_UNSUPPORTED_DATA = 1003;
const CLOSE_POLICY_VIOLATION = 1008;
const CLOSE_INTERNAL_ERROR = 1011;

export interface SessionContext {
  config: ChatConfig;
  hub: ChatHub;
  logger: Logger;
}

/** Validates the connect URL's name (absent: the client's `address`) and room, then runs the session; a bad value is refused with 1008. */
export function openSession(socket: WebSocket, address: string, params: URLSearchParams, context: SessionContext): void {
  const query = connectQuerySchema.safeParse({ name: params.get('name') ?? undefined, room: params.get('room') ?? undefined });
  if (!query.success) {
    const issue = query.error.issues[0];
    const badRoom = issue?.path[0] === 'room';
    const code: ErrorCode = badRoom ? 'invalid_room' : 'invalid_name';
    socket.send(JSON.stringify(errorEvent(code, `${badRoom ? 'room' : 'nickname'} ${issue?.message ?? 'is invalid'}`)));
    socket.close(CLOSE_POLICY_VIOLATION, code.replace('_', ' '));
    return;
  }
  const from = query.data.name ?? address;
  new ChatSession(socket, query.data.room, from, context).start();
}

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** One member in one room: history, join, rate-limited messages, leave. */
class ChatSession {
  private readonly rate: RateWindow;
  private strikes = 0;
  /** Messages received and not yet handled. */
  private queued = 0;
  private unsubscribe: (() => void) | undefined;
  /** Messages wait for the join (history, subscribe) so they never overtake it. */
  private ready: Promise<void> = Promise.resolve();

  constructor(
    private readonly socket: WebSocket,
    private readonly room: string,
    private readonly from: string,
    private readonly context: SessionContext,
  ) {
    const { rateLimit } = context.config;
    this.rate = new RateWindow(rateLimit.messages, rateLimit.intervalMs);
  }

  start(): void {
    this.ready = this.join().catch((error: unknown) => this.fail(error));
    this.socket.on('message', (data, isBinary) => {
      // A connection's messages that arrive together (a burst) are handled one per turn of the event
      // loop, with HTTP requests, other connections and other rooms served in between.
      const waitTurn = this.queued++ > 0;
      this.ready = this.ready
        .then(() => (waitTurn ? nextTurn() : undefined))
        .then(() => this.receive(data, isBinary))
        .catch((error: unknown) => this.fail(error))
        .finally(() => this.queued--);
    });
    this.socket.on('close', () => {
      void this.ready.then(() => this.leave()).catch((error: unknown) => this.fail(error));
    });
  }

  private async join(): Promise<void> {
    const { hub } = this.context;
    const messages = await hub.history(this.room);
    this.send({ type: 'history', room: this.room, messages });
    if (this.socket.readyState !== WebSocket.OPEN) return;
    this.unsubscribe = hub.subscribe(this.room, (data) => this.deliver(data));
    await hub.publish(roomEvent('join', this.room, this.from, `${this.from} joined`));
  }

  private async leave(): Promise<void> {
    if (!this.unsubscribe) return;
    this.unsubscribe();
    this.unsubscribe = undefined;
    await this.context.hub.publish(roomEvent('leave', this.room, this.from, `${this.from} left`));
  }

  private async receive(data: RawData, isBinary: boolean): Promise<void> {
    if (this.socket.readyState !== WebSocket.OPEN) return;
    if (isBinary) {
      this.socket.close(CLOSE_UNSUPPORTED_DATA, 'text frames only');
      return;
    }
    if (!this.rate.take()) {
      const { messages, intervalMs } = this.context.config.rateLimit;
      this.strike('rate_limited', `at most ${messages} messages per ${intervalMs} ms`);
      return;
    }
    const parsed = parseClientEvent(data.toString());
    if (!parsed.ok) {
      this.strike('invalid_message', parsed.reason);
      return;
    }
    this.strikes = 0;
    if (!(await this.context.hub.publish(roomEvent('message', this.room, this.from, parsed.event.text)))) {
      // The room's limit, not this client's fault: refused without a strike (its own limit still bounds retries).
      const { messages, intervalMs } = this.context.config.roomRateLimit;
      this.send(errorEvent('room_busy', `room ${this.room} takes at most ${messages} messages per ${intervalMs} ms`));
    }
  }

  /** A refused message; too many in a row end the connection. */
  private strike(code: ErrorCode, text: string): void {
    this.strikes += 1;
    this.send(errorEvent(code, text));
    if (this.strikes >= this.context.config.maxStrikes) {
      this.socket.close(CLOSE_POLICY_VIOLATION, 'too many rejected messages');
    }
  }

  private send(event: ServerEvent): void {
    this.deliver([Buffer.from(JSON.stringify(event))]);
  }

  /** A client that cannot keep up is dropped, so the room never waits for, or buffers without bound for, it. */
  private deliver(events: readonly Buffer[]): void {
    const { socket } = this;
    if (socket.readyState !== WebSocket.OPEN) return;
    if (socket.bufferedAmount > this.context.config.maxBufferedBytes) {
      this.context.logger.warn({ room: this.room, from: this.from, buffered: socket.bufferedAmount }, 'dropping slow reader');
      socket.terminate();
      return;
    }
    // The room's bytes, encoded once for all members, sent as text frames. ws corks the TCP socket per
    // frame only; corking around the batch makes it one write (one syscall) instead of one per event.
    const tcp = (socket as unknown as { _socket?: Socket })._socket;
    tcp?.cork();
    for (const data of events) socket.send(data, { binary: false });
    tcp?.uncork();
  }

  private fail(error: unknown): void {
    this.context.logger.error({ err: error, room: this.room, from: this.from }, 'chat session failed');
    if (this.socket.readyState === WebSocket.OPEN) this.socket.close(CLOSE_INTERNAL_ERROR, 'internal error');
  }
}
