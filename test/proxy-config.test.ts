import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../src/config.ts';

describe('proxy config', () => {
  it('has no upstreams and a 120 s timeout by default', () => {
    expect(parseConfig({}).proxy).toEqual({ upstreams: {}, timeoutMs: 120_000 });
  });

  it('accepts a base URL string as shorthand for { url }', () => {
    const { proxy } = parseConfig({ proxy: { upstreams: { api: 'http://127.0.0.1:9000/v1' } } });
    expect(proxy.upstreams.api).toEqual({ url: 'http://127.0.0.1:9000/v1' });
  });

  it('fills cache defaults when a cache object is given', () => {
    const { proxy } = parseConfig({ proxy: { upstreams: { api: { url: 'https://api.example', timeoutMs: 5000, cache: {} } } } });
    expect(proxy.upstreams.api).toEqual({
      url: 'https://api.example',
      timeoutMs: 5000,
      cache: { ttlMs: 60_000, maxEntries: 1000, maxBodyBytes: 1024 * 1024 },
    });
  });

  it.each([
    ['a non-http URL', { upstreams: { api: 'file:///etc/passwd' } }, 'proxy.upstreams.api'],
    ['credentials in the URL', { upstreams: { api: 'http://user:pw@h.example/' } }, 'proxy.upstreams.api'],
    ['a query in the URL', { upstreams: { api: 'http://h.example/?a=1' } }, 'proxy.upstreams.api'],
    ['a name that is not one plain path segment', { upstreams: { 'a/b': 'http://h.example' } }, 'proxy.upstreams'],
    ['an unknown key', { upstreams: { api: { url: 'http://h.example', retries: 3 } } }, 'proxy.upstreams.api'],
    ['a zero timeout', { timeoutMs: 0 }, 'proxy.timeoutMs'],
  ])('refuses %s and names the key', (_what, proxy, key) => {
    expect(() => parseConfig({ proxy })).toThrow(ConfigError);
    expect(() => parseConfig({ proxy })).toThrow(new RegExp(`^invalid config: ${key.replace(/\./g, '\\.')}`));
  });
});
