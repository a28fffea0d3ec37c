import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { Readable } from 'node:stream';
import { MessageChannel } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { receiveChunks, sendChunks, STORED_READ_FAILED } from '../src/analysis/port-chunks.ts';

/** A stream of `count` random chunks that counts how many it has produced. */
function counted(count: number, size = 1024): { stream: Readable; chunks: Buffer[]; produced: () => number } {
  const chunks = Array.from({ length: count }, () => randomBytes(size));
  let produced = 0;
  const stream = new Readable({
    highWaterMark: 1,
    read() {
      this.push(produced < count ? chunks[produced++]! : null);
    },
  });
  return { stream, chunks, produced: () => produced };
}

describe('a stored file sent to a worker thread over a MessagePort', () => {
  it('arrives whole and in order, never far ahead of what the reader took', async () => {
    const { stream, chunks, produced } = counted(100);
    const { port1, port2 } = new MessageChannel();
    sendChunks(stream, port1);
    const received: Buffer[] = [];
    let mostAhead = 0;
    for await (const chunk of receiveChunks(port2)) {
      received.push(Buffer.from(chunk));
      mostAhead = Math.max(mostAhead, produced() - received.length);
      // A slow reader: the sender must wait for it, not pile chunks up.
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(Buffer.concat(received).equals(Buffer.concat(chunks))).toBe(true);
    expect(mostAhead).toBeLessThanOrEqual(10);
    port1.close();
  });

  it('lets go of the stream when the reader stops early', async () => {
    const { stream, produced } = counted(1000);
    const { port1, port2 } = new MessageChannel();
    sendChunks(stream, port1);
    const closed = once(stream, 'close');
    let taken = 0;
    for await (const _ of receiveChunks(port2)) if (++taken === 3) break;
    await closed;
    expect(stream.destroyed).toBe(true);
    expect(produced()).toBeLessThan(1000);
  });

  it("fails the reader with the stream's error, marked as a failed read", async () => {
    const { port1, port2 } = new MessageChannel();
    const failing = new Readable({
      read() {
        this.destroy(new Error('the gateway sent nothing for 30000 ms'));
      },
    });
    sendChunks(failing, port1);
    const reading = (async () => {
      for await (const _ of receiveChunks(port2));
    })();
    await expect(reading).rejects.toThrow(`${STORED_READ_FAILED}: the gateway sent nothing for 30000 ms`);
  });
});
