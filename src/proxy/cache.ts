import type { CacheConfig } from './config.ts';
import type { HeaderList } from './response-headers.ts';

/** A stored 200 answer to a GET. */
export interface CachedAnswer {
  headers: HeaderList;
  body: Buffer;
  storedAt: number;
  expiresAt: number;
}

/**
 * Answers of one upstream by request target (path and query), in memory. Bounded by entry count
 * and body size, so it holds at most `maxEntries * maxBodyBytes` bytes of bodies; the least
 * recently used entry goes first (a Map keeps insertion order; a hit re-inserts its entry).
 */
export class ResponseCache {
  readonly #entries = new Map<string, CachedAnswer>();

  constructor(readonly limits: CacheConfig) {}

  get(key: string): CachedAnswer | undefined {
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    this.#entries.delete(key);
    if (entry.expiresAt <= Date.now()) return undefined;
    this.#entries.set(key, entry);
    return entry;
  }

  /** Stores a body for at most `ttlMs` (capped by the configured TTL); oversized bodies are ignored. */
  set(key: string, headers: HeaderList, body: Buffer, ttlMs: number): void {
    if (body.length > this.limits.maxBodyBytes || ttlMs <= 0) return;
    const storedAt = Date.now();
    this.#entries.delete(key);
    this.#entries.set(key, { headers, body, storedAt, expiresAt: storedAt + Math.min(ttlMs, this.limits.ttlMs) });
    for (const oldest of this.#entries.keys()) {
      if (this.#entries.size <= this.limits.maxEntries) break;
      this.#entries.delete(oldest);
    }
  }

  get size(): number {
    return this.#entries.size;
  }
}
