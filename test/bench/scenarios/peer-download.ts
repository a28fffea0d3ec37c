import type { BenchContext } from '../lib/context.ts';
import type { LoadShape } from '../lib/load.ts';
import { measurePeerLoad, peerRows, withContender, type Contender, type PeerFigures } from '../lib/peers.ts';
import type { ResultRow } from '../lib/results.ts';
import { GIB } from '../lib/stats.ts';
import { filesRoot, LARGE_PATH, SMALL_PATH } from './download.ts';
import type { Scenario } from './scenario.ts';

const CASES: { what: string; shape: LoadShape }[] = [
  { what: '64 KiB file, c=32', shape: { connections: 32, expectStatus: 200, request: { kind: 'download', path: SMALL_PATH } } },
  {
    what: 'random 64 KiB ranges, c=32',
    shape: {
      connections: 32,
      expectStatus: 206,
      request: { kind: 'download', path: LARGE_PATH, range: { fileSize: GIB, length: 64 * 1024 } },
    },
  },
];

/**
 * Issue 30: downloads against `express.static` and `@fastify/static` serving the same files, all
 * three logging a request line at info and keeping a request histogram, interleaved run by run.
 */
export const peerDownload: Scenario = {
  name: 'peers: download',
  module: 'media',
  async run(ctx: BenchContext) {
    const root = await filesRoot(ctx);
    const contenders: Record<string, Contender> = {
      service: { service: { root } },
      expressStatic: { peer: 'express-static', argument: root },
      fastifyStatic: { peer: 'fastify-static', argument: root },
    };
    const rows: ResultRow[] = [];
    for (const { what, shape } of CASES) {
      const run = (name: string) => () =>
        withContender(ctx, `peer-download-${name}`, contenders[name]!, (server) => measurePeerLoad(ctx, server, shape, `${name} ${what}`));
      const figures = await ctx.interleave<{ service: PeerFigures; expressStatic: PeerFigures; fastifyStatic: PeerFigures }>(
        `peers download ${what}`,
        { service: run('service'), expressStatic: run('expressStatic'), fastifyStatic: run('fastifyStatic') },
      );
      rows.push(
        ...peerRows(this.name, what, figures.service, [
          { name: 'express.static', figures: figures.expressStatic, reqPerSec: { ratioAtLeast: 1 }, cpuUsPerRequest: { report: true } },
          { name: '@fastify/static', figures: figures.fastifyStatic, reqPerSec: { report: true }, cpuUsPerRequest: { report: true } },
        ]),
      );
    }
    return rows;
  },
};
