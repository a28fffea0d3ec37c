import http from 'node:http';
import { listenForBench } from './listen-for-bench.ts';

/**
 * The upstream of the proxy scenarios, and their baseline when hit directly: a bare node:http
 * server that answers every request 200 with a small JSON body after `delayMs`, reading and
 * discarding any request body. Usage: delayed-upstream.ts <delayMs>.
 */
const delayMs = Number(process.argv[2]);
if (!Number.isFinite(delayMs) || delayMs < 0) throw new Error(`usage: delayed-upstream.ts <delayMs>, not ${process.argv[2]}`);
const body = Buffer.from(JSON.stringify({ ok: true, delayMs, padding: 'x'.repeat(200) }));

const server = http.createServer((req, res) => {
  req.resume();
  req.once('end', () => {
    setTimeout(() => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length, 'cache-control': 'no-store' });
      res.end(body);
    }, delayMs);
  });
});
listenForBench(server);
