import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { RoomMembers, type Deliver } from './fan-out.ts';
import { roomEventSchema, type RoomEvent } from './protocol.ts';
import type { ChatHub, RoomRateLimit } from './rooms.ts';

export interface RedisHubOptions {
  url: string;
  historySize: number;
  /** None: rooms take any number of messages. Counted in Redis, so the limit holds across processes. */
  roomRateLimit?: RoomRateLimit;
  /** Prefix of every key and channel, so several services can share one Redis. */
  prefix?: string;
  logger: Logger;
}

/**
 * One round trip, atomic: a message first takes from the room's fixed-window counter (refused: 0,
 * nothing kept or sent), then joins the capped history; every event is then published.
 * KEYS: rate counter, history. ARGV: channel, data, is a message, limit (0 = none), window ms, history size.
 */
const PUBLISH_SCRIPT = `
if ARGV[3] == '1' then
  local limit = tonumber(ARGV[4])
  if limit > 0 then
    local count = redis.call('INCR', KEYS[1])
    if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[5]) end
    if count > limit then return 0 end
  end
  local kept = tonumber(ARGV[6])
  if kept > 0 then
    redis.call('RPUSH', KEYS[2], ARGV[2])
    redis.call('LTRIM', KEYS[2], -kept, -1)
  end
end
redis.call('PUBLISH', ARGV[1], ARGV[2])
return 1
`;

interface PublishCommand {
  publishRoomEvent(
    rateKey: string,
    historyKey: string,
    channel: string,
    data: string,
    isMessage: string,
    limit: number,
    windowMs: number,
    historySize: number,
  ): Promise<number>;
}

/**
 * Rooms shared by every process that uses the same Redis: events fan out through pub/sub (one
 * channel per room, subscribed while this process has members in it) and each room's history is
 * a capped list. Delivery goes through Redis even to members of this process, so every member
 * sees one order of events.
 */
export class RedisHub implements ChatHub {
  private readonly commands: Redis & PublishCommand;
  private readonly subscriber: Redis;
  private readonly members = new RoomMembers();
  /** SUBSCRIBE replies still awaited, per room: a publish waits, so a new member sees its own join. */
  private readonly subscribing = new Map<string, Promise<unknown>>();
  private readonly prefix: string;

  constructor(private readonly options: RedisHubOptions) {
    this.prefix = options.prefix ?? 'media-service:chat';
    const redisOptions = { lazyConnect: false, maxRetriesPerRequest: 2 };
    this.commands = new Redis(options.url, redisOptions) as Redis & PublishCommand;
    this.commands.defineCommand('publishRoomEvent', { numberOfKeys: 2, lua: PUBLISH_SCRIPT });
    this.subscriber = new Redis(options.url, redisOptions);
    for (const client of [this.commands, this.subscriber]) {
      client.on('error', (err) => options.logger.warn({ err }, 'chat redis connection error'));
    }
    // Buffers as they come off the connection: the event is sent to members without decoding it.
    this.subscriber.on('messageBuffer', (channel: Buffer, data: Buffer) => {
      this.members.deliver(channel.toString().slice(this.channel('').length), data);
    });
  }

  async publish(event: RoomEvent): Promise<boolean> {
    await this.subscribing.get(event.room);
    const { historySize, roomRateLimit } = this.options;
    const accepted = await this.commands.publishRoomEvent(
      this.rateKey(event.room),
      this.historyKey(event.room),
      this.channel(event.room),
      JSON.stringify(event),
      event.type === 'message' ? '1' : '0',
      roomRateLimit?.messages ?? 0,
      roomRateLimit?.intervalMs ?? 0,
      historySize,
    );
    return accepted === 1;
  }

  subscribe(room: string, deliver: Deliver): () => void {
    if (this.members.add(room, deliver)) {
      const subscribed = this.subscriber
        .subscribe(this.channel(room))
        .catch((err) => this.options.logger.warn({ err, room }, 'chat redis subscribe failed'))
        .finally(() => this.subscribing.delete(room));
      this.subscribing.set(room, subscribed);
    }
    return () => {
      if (this.members.remove(room, deliver)) {
        void this.subscriber.unsubscribe(this.channel(room)).catch(() => undefined);
      }
    };
  }

  async history(room: string): Promise<RoomEvent[]> {
    if (this.options.historySize === 0) return [];
    const items = await this.commands.lrange(this.historyKey(room), 0, -1);
    return items.flatMap((item) => {
      const parsed = roomEventSchema.safeParse(JSON.parse(item));
      return parsed.success ? [parsed.data] : [];
    });
  }

  /** Problems for /readyz: Redis must answer PING. */
  async check(): Promise<string[]> {
    const answer = await Promise.race([
      this.commands.ping().catch(() => undefined),
      new Promise((resolve) => setTimeout(resolve, 2000).unref()),
    ]);
    return answer === 'PONG' ? [] : ['chat redis not reachable'];
  }

  async close(): Promise<void> {
    this.members.clear();
    await Promise.all([this.commands.quit(), this.subscriber.quit()].map((done) => done.catch(() => undefined)));
  }

  private channel(room: string): string {
    return `${this.prefix}:room:${room}`;
  }

  private rateKey(room: string): string {
    return `${this.prefix}:rate:${room}`;
  }

  private historyKey(room: string): string {
    return `${this.prefix}:history:${room}`;
  }
}
