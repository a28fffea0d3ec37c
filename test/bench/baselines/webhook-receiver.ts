import http from 'node:http';

/**
 * The webhook receiver of the webhooks scenario, in its own process so that its figures are not
 * the load generator's event loop: answers every POST 200 at once and notes its delivery lag
 * (receipt time minus the event's `timestamp`); `GET /lags?from=<n>` answers the lags noted from
 * the n-th delivery on, as JSON.
 */
const lags: number[] = [];

const server = http.createServer((req, res) => {
  if (req.method === 'GET') {
    const from = Number(new URL(req.url ?? '/', 'http://receiver').searchParams.get('from') ?? 0);
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(lags.slice(from)));
    return;
  }
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    const receivedAt = Date.now();
    res.writeHead(200).end();
    const { timestamp } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { timestamp: string };
    lags.push(receivedAt - Date.parse(timestamp));
  });
});
server.keepAliveTimeout = 60_000;

server.listen(0, '127.0.0.1', () => {
  const address = server.address() as { port: number };
  process.stdout.write(`listening ${address.port}\n`);
});
process.on('SIGTERM', () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
});
