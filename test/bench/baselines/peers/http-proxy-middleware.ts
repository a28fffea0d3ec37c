import http from 'node:http';
import express from 'express';
import { createProxyMiddleware } from 'http-proxy-middleware';
import { announce, exitOnSigterm, expressObservability } from './observe.ts';

/**
 * Peer: Express 5 + `http-proxy-middleware` forwarding /proxy/up/* to `<upstream>/*`, through a
 * keep-alive agent (without one every request opens a connection). Usage: http-proxy-middleware.ts <upstream url>.
 */
const upstream = process.argv[2]!;
const agent = new http.Agent({ keepAlive: true });
const app = express();
app.use(expressObservability('/proxy/up'));
app.use('/proxy/up', createProxyMiddleware({ target: upstream, agent }));
const server = app.listen(0, '127.0.0.1', () => announce(server));
exitOnSigterm(() => {
  agent.destroy();
  server.closeAllConnections();
  server.close();
});
