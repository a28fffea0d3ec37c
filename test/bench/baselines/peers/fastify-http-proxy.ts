import fastifyHttpProxy from '@fastify/http-proxy';
import Fastify from 'fastify';
import { announce, exitOnSigterm, fastifyObservability } from './observe.ts';

/** Peer: fastify 5 + `@fastify/http-proxy` forwarding /proxy/up/* to `<upstream>/*`. Usage: fastify-http-proxy.ts <upstream url>. */
const upstream = process.argv[2]!;
const app = Fastify({ logger: false });
fastifyObservability(app);
await app.register(fastifyHttpProxy, { upstream, prefix: '/proxy/up' });
await app.listen({ host: '127.0.0.1', port: 0 });
announce(app.server);
exitOnSigterm(() => app.close());
