import { MessageChannel } from 'node:worker_threads';
import type { Piscina } from 'piscina';
import type { Digest, WriteHasher } from '../staging/hash-while-writing.ts';
import type { FollowMessage, FollowTask } from './follow-file.ts';

/**
 * The event loop's side of a follower (follow-file.ts): starts it in the pool when a large
 * upload starts being written, and tells it when the upload ended or was dropped. `result` is
 * undefined when the follower stopped or failed: publishing then hashes the file itself.
 */
export class WriteFollower implements WriteHasher {
  readonly result: Promise<Digest | undefined>;
  private readonly channel = new MessageChannel();

  constructor(pool: Piscina, tempPath: string, flush: boolean) {
    const task: FollowTask = { tempPath, port: this.channel.port2, flush };
    this.result = (pool.run(task, { name: 'follow', transferList: [this.channel.port2] }) as Promise<Digest | undefined>)
      .catch(() => undefined)
      .finally(() => this.channel.port1.close());
  }

  /** The upload ended: all `size` bytes are written. */
  finish(size: number): void {
    this.send({ size });
  }

  stop(): void {
    this.send({ abort: true });
  }

  private send(message: FollowMessage): void {
    this.channel.port1.postMessage(message);
  }
}
