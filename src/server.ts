import http from 'node:http';
import { pino } from 'pino';
import { createApp } from './app.ts';
import { attachChat } from './chat/attach-chat.ts';
import { ConfigError, loadConfig, type Config } from './config.ts';
import { LocalStore, localStoreOptions } from './storage/local-store.ts';

function readConfig(): Config {
  try {
    return loadConfig({ env: process.env, cwd: process.cwd() });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
}

const config = readConfig();
const logger = pino({ level: config.log.level });
const store = await LocalStore.open(localStoreOptions(config, (err) => logger.warn({ err }, 'temp sweep failed')));
const server = http.createServer(createApp(config, { store, logger }));
const chat = attachChat(server, config, { logger });

server.listen(config.server.port, config.server.host, () => {
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.server.port;
  logger.info({ host: config.server.host, port, root: config.storage.root }, `listening on http://${config.server.host}:${port}`);
});

let stopping = false;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    if (stopping) process.exit(1);
    stopping = true;
    logger.info({ signal }, 'stopping');
    server.close(() => {
      void store.close().then(() => process.exit(0));
    });
    server.closeIdleConnections();
    // Upgraded chat sockets keep server.close() waiting until they end.
    void chat.close(1001);
  });
}
