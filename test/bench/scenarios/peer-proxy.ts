import type { BenchContext } from '../lib/context.ts';
import type { LoadShape } from '../lib/load.ts';
import { measurePeerLoad, peerRows, withContender, type Contender, type PeerFigures } from '../lib/peers.ts';
import { startBaseline } from '../lib/processes.ts';
import type { Target } from '../lib/results.ts';
import type { Scenario } from './scenario.ts';

const CONNECTIONS = 100;
const SHAPE: LoadShape = { connections: CONNECTIONS, expectStatus: 200, request: { kind: 'get', path: '/proxy/up/item' } };

/** One run of a contender in front of a fresh upstream (baselines/delayed-upstream.ts) answering after `delayMs`. */
async function proxyRun(
  ctx: BenchContext,
  delayMs: number,
  name: string,
  contender: (upstream: string) => Contender,
): Promise<PeerFigures> {
  const upstream = await startBaseline('baselines/delayed-upstream.ts', String(delayMs));
  try {
    return await withContender(ctx, `peer-proxy-${delayMs}ms-${name}`, contender(upstream.url), (server) =>
      measurePeerLoad(ctx, server, SHAPE, `${name} proxy ${delayMs} ms`, [upstream.pid]),
    );
  } finally {
    await upstream.stop();
  }
}

/**
 * Issue 30: GET /proxy/up/item through the service, `@fastify/http-proxy` and Express 5 +
 * `http-proxy-middleware` (keep-alive agent), all logging at info with a request histogram.
 */
function peerProxy(delayMs: number, fastifyTargets: { reqPerSec: Target; cpuUsPerRequest: Target }): Scenario {
  return {
    name: `peers: proxy, upstream ${delayMs} ms, c=${CONNECTIONS}`,
    module: 'proxy',
    async run(ctx) {
      const contenders: Record<string, (upstream: string) => Contender> = {
        service: (upstream) => ({
          service: {
            root: ctx.freshDir(`peer-proxy-root`),
            config: { proxy: { upstreams: { up: { url: `${upstream}/`, timeoutMs: 10_000 } } } },
          },
        }),
        fastify: (upstream) => ({ peer: 'fastify-http-proxy', argument: upstream }),
        middleware: (upstream) => ({ peer: 'http-proxy-middleware', argument: upstream }),
      };
      const run = (name: string) => () => proxyRun(ctx, delayMs, name, contenders[name]!);
      const figures = await ctx.interleave<{ service: PeerFigures; fastify: PeerFigures; middleware: PeerFigures }>(
        `peers proxy ${delayMs} ms`,
        {
          service: run('service'),
          fastify: run('fastify'),
          middleware: run('middleware'),
        },
      );
      return peerRows(this.name, 'GET', figures.service, [
        { name: '@fastify/http-proxy', figures: figures.fastify, ...fastifyTargets },
        { name: 'http-proxy-middleware', figures: figures.middleware, reqPerSec: { report: true }, cpuUsPerRequest: { report: true } },
      ]);
    },
  };
}

export const peerProxyFast = peerProxy(5, { reqPerSec: { ratioAtLeast: 0.9 }, cpuUsPerRequest: { ratioAtMost: 1.2 } });
export const peerProxySlow = peerProxy(200, { reqPerSec: { report: true }, cpuUsPerRequest: { report: true } });
