import type { Redis } from 'ioredis';

/**
 * A Redis client for `url`, its connection errors handed to `onError`. ioredis is loaded at the
 * first call, so a service that uses no Redis does not load it at start.
 */
export async function redisClient(url: string, onError: (error: Error) => void): Promise<Redis> {
  const { Redis } = await import('ioredis');
  const client = new Redis(url, { maxRetriesPerRequest: 2 });
  client.on('error', onError);
  return client;
}
