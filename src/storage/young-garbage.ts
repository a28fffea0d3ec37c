import { Transform } from 'node:stream';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** Bytes passed on between two young-generation collections. */
const COLLECT_EVERY_BYTES = 16 * 1024 * 1024;

type Gc = (options: { type: 'minor'; execution: 'sync' }) => void;

// The documented way to reach V8's gc() without starting Node with --expose-gc.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as Gc | undefined;

/**
 * Passes a large body on as it is, collecting the young generation every 16 MiB: each chunk read
 * from a file is a fresh ArrayBuffer that the sender drops once written, and V8 collects young
 * ArrayBuffers only once they reach twice its default semi-space (doubled in Node 24's V8), so a
 * 64 MiB upload sent on to S3 would otherwise hold most of itself in dead chunks. A minor
 * collection costs about a millisecond; the chunks cannot be freed by hand, since the socket may
 * still be writing them.
 */
export function collectingYoungGarbage(): Transform {
  let since = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      since += chunk.length;
      if (since >= COLLECT_EVERY_BYTES && gc) {
        since = 0;
        gc({ type: 'minor', execution: 'sync' });
      }
      done(null, chunk);
    },
  });
}
