import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../src/config.ts';

describe('events.* config', () => {
  it('has the documented defaults', () => {
    expect(parseConfig({}).events).toEqual({
      webhooks: [],
      timeoutMs: 10_000,
      retryDelayMs: 5_000,
      maxAgeMs: 86_400_000,
      maxPending: 100_000,
      retainMs: 86_400_000,
      concurrency: 32,
    });
  });

  it('names the key of a bad webhook', () => {
    const bad = { events: { webhooks: [{ url: 'ftp://x', secret: 'hunter2', types: ['media.moved'] }] } };
    const message = (() => {
      try {
        parseConfig(bad);
      } catch (error) {
        return error instanceof ConfigError ? error.message : String(error);
      }
      return 'accepted';
    })();
    expect(message).toMatch(/^invalid config: events\.webhooks\.0\.url: /m);
    expect(message).toMatch(/^invalid config: events\.webhooks\.0\.secret: must be "whsec_" and the base64 of 24 to 64 random bytes$/m);
    expect(message).toMatch(/^invalid config: events\.webhooks\.0\.types\.0: /m);
  });
});
