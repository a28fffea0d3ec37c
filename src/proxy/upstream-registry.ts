import type { Pool } from 'undici';
import { ResponseCache } from './cache.ts';
import type { ProxyConfig, UpstreamConfig } from './config.ts';

/** One configured upstream, ready to forward to. */
export interface Upstream {
  name: string;
  /** Path of the base URL without a trailing slash; the client's rest path is appended to it. */
  basePath: string;
  /** Connect, answer-start and body-silence limit in ms (`timeoutMs`, else `proxy.timeoutMs`). */
  timeoutMs: number;
  /** Keep-alive connections to the base URL's origin, and only to it. */
  pool: Pool;
  cache?: ResponseCache;
}

/**
 * The configured upstreams and their connection pools. A pool is created on the first request
 * for its upstream: creating the registry opens no socket, so `createApp` stays free of side
 * effects, and `close()` (called by server.ts on shutdown) closes the pools that were used.
 */
export class UpstreamRegistry {
  readonly #upstreams = new Map<string, Upstream>();

  /** `Pool`: undici's, present when an upstream is configured. */
  private constructor(
    private readonly config: ProxyConfig,
    private readonly Pool: typeof import('undici').Pool | undefined,
  ) {}

  /** The registry of `config`. undici is loaded only when an upstream is configured: a service without one does not load it at start. */
  static async open(config: ProxyConfig): Promise<UpstreamRegistry> {
    const configured = Object.keys(config.upstreams).length > 0;
    return new UpstreamRegistry(config, configured ? (await import('undici')).Pool : undefined);
  }

  /** The upstream configured under `name`, or undefined: only configured names are reachable. */
  get(name: string): Upstream | undefined {
    const known = this.#upstreams.get(name);
    if (known) return known;
    if (!Object.hasOwn(this.config.upstreams, name) || !this.Pool) return undefined;
    const upstream = this.#create(name, this.config.upstreams[name]!, this.Pool);
    this.#upstreams.set(name, upstream);
    return upstream;
  }

  /** Lets in-flight requests finish, then closes every connection. */
  async close(): Promise<void> {
    const pools = [...this.#upstreams.values()].map((upstream) => upstream.pool);
    this.#upstreams.clear();
    await Promise.all(pools.map((pool) => pool.close()));
  }

  #create(name: string, config: UpstreamConfig, Pool: typeof import('undici').Pool): Upstream {
    const url = new URL(config.url);
    const timeoutMs = config.timeoutMs ?? this.config.timeoutMs;
    return {
      name,
      basePath: url.pathname.replace(/\/+$/, ''),
      timeoutMs,
      // forward() times the wait for the head and the silences of the body itself, to the millisecond.
      pool: new Pool(url.origin, { connectTimeout: timeoutMs, headersTimeout: 0, bodyTimeout: 0 }),
      cache: config.cache ? new ResponseCache(config.cache) : undefined,
    };
  }
}
