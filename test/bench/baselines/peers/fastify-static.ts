import fastifyStatic from '@fastify/static';
import Fastify from 'fastify';
import { announce, exitOnSigterm, fastifyObservability } from './observe.ts';

/** Peer: fastify 5 + `@fastify/static` serving `<root>` under /media/. Usage: fastify-static.ts <root>. */
const root = process.argv[2]!;
const app = Fastify({ logger: false });
fastifyObservability(app);
await app.register(fastifyStatic, { root, prefix: '/media/' });
await app.listen({ host: '127.0.0.1', port: 0 });
announce(app.server);
exitOnSigterm(() => app.close());
