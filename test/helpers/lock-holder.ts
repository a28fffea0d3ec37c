/**
 * A process that takes one upload's lock and keeps it until killed: `lock-holder.ts file <lock path>`
 * or `lock-holder.ts redis <url> <upload id>`. Prints "locked" once it holds it.
 */
import { Redis } from 'ioredis';
import { FileLocker } from '../../src/lockers/file-locker.ts';
import { RedisLocker } from '../../src/lockers/redis-locker.ts';

const [kind, where, id = 'x'] = process.argv.slice(2);
const locker = kind === 'redis' ? new RedisLocker(new Redis(where!), 5000) : new FileLocker(() => where!, 5000);
await locker.newLock(id).lock(new AbortController().signal, () => undefined);
process.stdout.write('locked\n');
setInterval(() => undefined, 60_000);
