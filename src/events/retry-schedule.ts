/** No wait between two tries is longer, however many tries failed. */
export const MAX_RETRY_DELAY_MS = 3600_000;

/**
 * The wait after the `failures`-th failed try (1 = the first): `retryDelayMs` doubled per failure
 * up to an hour, with jitter (a random point in its upper half) so that receivers coming back are
 * not hit by every sender at once, and never shorter than the receiver's Retry-After.
 */
export function retryDelay(failures: number, retryDelayMs: number, retryAfterMs = 0, random = Math.random): number {
  const base = Math.min(retryDelayMs * 2 ** Math.min(failures - 1, 40), MAX_RETRY_DELAY_MS);
  return Math.max(Math.round(base / 2 + (random() * base) / 2), retryAfterMs);
}

/** `Retry-After` in ms (RFC 9110 10.2.3: delay-seconds or an HTTP-date); undefined when absent or unreadable. */
export function retryAfterOf(header: string | null, now: number): number | undefined {
  if (header === null) return undefined;
  if (/^\d+$/.test(header.trim())) return Number(header.trim()) * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
