import type { Redis } from 'ioredis';
import { FINISH, RECORD, RESCHEDULE, RETRY_FAILED, TAKE_DUE } from './redis-scripts.ts';

type Arg = string | number;

/** The scripts of redis-scripts.ts as commands of one connection (sent once, then run by their digest). */
export interface EventCommands {
  recordEvent(keyCount: number, ...args: Arg[]): Promise<[string, number[]]>;
  takeDue(...args: Arg[]): Promise<string[]>;
  finishDelivery(...args: Arg[]): Promise<number>;
  rescheduleDelivery(...args: Arg[]): Promise<number>;
  retryFailed(...args: Arg[]): Promise<number>;
}

export function eventCommands(redis: Redis): Redis & EventCommands {
  redis.defineCommand('recordEvent', { lua: RECORD });
  redis.defineCommand('takeDue', { numberOfKeys: 2, lua: TAKE_DUE });
  redis.defineCommand('finishDelivery', { numberOfKeys: 6, lua: FINISH });
  redis.defineCommand('rescheduleDelivery', { numberOfKeys: 4, lua: RESCHEDULE });
  redis.defineCommand('retryFailed', { numberOfKeys: 5, lua: RETRY_FAILED });
  return redis as Redis & EventCommands;
}
