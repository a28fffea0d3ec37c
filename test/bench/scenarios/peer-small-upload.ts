import type { BenchContext } from '../lib/context.ts';
import type { LoadShape } from '../lib/load.ts';
import { measurePeerLoad, peerRows, withContender, type Contender, type PeerFigures } from '../lib/peers.ts';
import { SMALL_CONNECTIONS, SMALL_SIZE } from '../lib/small-uploads.ts';
import type { Scenario } from './scenario.ts';

const SHAPE: LoadShape = { connections: SMALL_CONNECTIONS, expectStatus: 200, request: { kind: 'multipart-upload', size: SMALL_SIZE } };

/**
 * Issue 30: 64 KiB multipart uploads (fresh names, c=32) into the service (fsync on, as in
 * production), Express 5 + multer `diskStorage` and `@fastify/multipart` streaming to disk, all
 * logging at info with a request histogram. Reported only: the storage re-cut holds the CPU target.
 */
export const peerSmallUpload: Scenario = {
  name: 'peers: small multipart 64 KiB c=32',
  module: 'media',
  async run(ctx: BenchContext) {
    const contenders: Record<string, () => Contender> = {
      service: () => ({ service: { root: ctx.freshDir('peer-upload-service'), media: { fsync: true } } }),
      multer: () => ({ peer: 'express-multer-disk', argument: ctx.freshDir('peer-upload-multer') }),
      fastify: () => ({ peer: 'fastify-multipart-disk', argument: ctx.freshDir('peer-upload-fastify') }),
    };
    const run = (name: string) => () =>
      withContender(ctx, `peer-upload-${name}`, contenders[name]!(), (server) =>
        measurePeerLoad(ctx, server, SHAPE, `${name} 64 KiB upload`),
      );
    const figures = await ctx.interleave<{ service: PeerFigures; multer: PeerFigures; fastify: PeerFigures }>('peers small multipart', {
      service: run('service'),
      multer: run('multer'),
      fastify: run('fastify'),
    });
    return peerRows(this.name, 'fsync on (service only)', figures.service, [
      { name: 'Express 5 + multer diskStorage', figures: figures.multer, reqPerSec: { report: true }, cpuUsPerRequest: { report: true } },
      { name: '@fastify/multipart to disk', figures: figures.fastify, reqPerSec: { report: true }, cpuUsPerRequest: { report: true } },
    ]);
  },
};
