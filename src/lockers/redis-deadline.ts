import { AppError } from '../errors.ts';

/** What a Redis command that did not answer in time rejects with (a frozen server). */
export class RedisTimeout extends Error {
  constructor(ms: number) {
    super(`redis did not answer within ${ms} ms`);
    this.name = 'RedisTimeout';
  }
}

/**
 * The command's answer, or RedisTimeout after `ms`. A command that failed (connection refused,
 * retries exhausted) rejects with LOCKS_UNAVAILABLE: the caller answers a clear 503, not a 500.
 */
export function withDeadline<T>(command: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new RedisTimeout(ms)), ms);
  });
  const answered = command.catch((error: unknown) => {
    throw new AppError('LOCKS_UNAVAILABLE', `upload locks unavailable: redis: ${(error as Error).message}`);
  });
  return Promise.race([answered, late]).finally(() => clearTimeout(timer));
}
