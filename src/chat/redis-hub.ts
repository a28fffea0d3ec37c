import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { roomEventSchema, type RoomEvent } from './protocol.ts';
import type { ChatHub, Deliver } from './rooms.ts';

export interface RedisHubOptions {
  url: string;
  historySize: number;
  /** Prefix of every key and channel, so several services can share one Redis. */
  prefix?: string;
  logger: Logger;
}

/**
 * Rooms shared by every process that uses the same Redis: events fan out through pub/sub (one
 * channel per room, subscribed while this process has members in it) and each room's history is
 * a capped list. Delivery goes through Redis even to members of this process, so every member
 * sees one order of events.
 */
export class RedisHub implements ChatHub {
  private readonly commands: Redis;
  private readonly subscriber: Redis;
  private readonly members = new Map<string, Set<Deliver>>();
  /** SUBSCRIBE replies still awaited, per room: a publish waits, so a new member sees its own join. */
  private readonly subscribing = new Map<string, Promise<unknown>>();
  private readonly prefix: string;

  constructor(private readonly options: RedisHubOptions) {
    this.prefix = options.prefix ?? 'media-service:chat';
    const redisOptions = { lazyConnect: false, maxRetriesPerRequest: 2 };
    this.commands = new Redis(options.url, redisOptions);
    this.subscriber = new Redis(options.url, redisOptions);
    for (const client of [this.commands, this.subscriber]) {
      client.on('error', (err) => options.logger.warn({ err }, 'chat redis connection error'));
    }
    this.subscriber.on('message', (channel: string, data: string) => {
      const room = channel.slice(this.channel('').length);
      for (const deliver of [...(this.members.get(room) ?? [])]) deliver(data);
    });
  }

  async publish(event: RoomEvent): Promise<void> {
    await this.subscribing.get(event.room);
    const data = JSON.stringify(event);
    const pipeline = this.commands.multi();
    if (event.type === 'message' && this.options.historySize > 0) {
      pipeline.rpush(this.historyKey(event.room), data).ltrim(this.historyKey(event.room), -this.options.historySize, -1);
    }
    await pipeline.publish(this.channel(event.room), data).exec();
  }

  subscribe(room: string, deliver: Deliver): () => void {
    let set = this.members.get(room);
    if (!set) {
      this.members.set(room, (set = new Set()));
      const subscribed = this.subscriber
        .subscribe(this.channel(room))
        .catch((err) => this.options.logger.warn({ err, room }, 'chat redis subscribe failed'))
        .finally(() => this.subscribing.delete(room));
      this.subscribing.set(room, subscribed);
    }
    set.add(deliver);
    return () => {
      set.delete(deliver);
      if (set.size === 0 && this.members.get(room) === set) {
        this.members.delete(room);
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

  private historyKey(room: string): string {
    return `${this.prefix}:history:${room}`;
  }
}
