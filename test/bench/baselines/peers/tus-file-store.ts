import http from 'node:http';
import { FileStore } from '@tus/file-store';
import { Server } from '@tus/server';
import { announce, exitOnSigterm, observeRequest } from './observe.ts';

/**
 * Peer: plain `@tus/server` with `@tus/file-store` at /uploads on node:http, files in `<root>`;
 * no checksum, content check or publishing. Usage: tus-file-store.ts <root>.
 */
const root = process.argv[2]!;
const tus = new Server({ path: '/uploads', datastore: new FileStore({ directory: root }) });
const server = http.createServer((req, res) => {
  observeRequest('/uploads', req, res);
  void tus.handle(req, res);
});
server.listen(0, '127.0.0.1', () => announce(server));
exitOnSigterm(() => {
  server.closeAllConnections();
  server.close();
});
