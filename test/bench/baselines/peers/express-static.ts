import express from 'express';
import { announce, exitOnSigterm, expressObservability } from './observe.ts';

/** Peer: Express 5 + `express.static` serving `<root>` under /media (ranges, validators as it sets them). Usage: express-static.ts <root>. */
const root = process.argv[2]!;
const app = express();
app.use(expressObservability('/media'));
app.use('/media', express.static(root));
const server = app.listen(0, '127.0.0.1', () => announce(server));
exitOnSigterm(() => {
  server.closeAllConnections();
  server.close();
});
