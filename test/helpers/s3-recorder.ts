import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** What went through a recording gateway, by kind of S3 request. */
export interface S3Traffic {
  heads: number;
  lists: number;
  /** CreateMultipartUpload and UploadPart requests: what a multipart upload sends before it completes. */
  multipartSends: number;
  headsInFlight: number;
  /** The most HeadObject requests that were in flight at once. */
  mostHeadsInFlight: number;
}

export interface S3Recorder {
  /** `http://127.0.0.1:<port>`: an S3 endpoint for a client under test. */
  url: string;
  traffic: S3Traffic;
  /** Starts counting anew. */
  reset(): void;
  close(): Promise<void>;
}

/**
 * A loopback HTTP relay in front of a real S3 gateway that counts the requests passing through:
 * each is forwarded as it came (Host included, so SigV4 signatures still verify), each HEAD
 * answer `headDelayMs` late, as from a gateway further away, and each PUT answer `putDelayMs` late
 * (the object is stored at once: only the answer is slow); with `dropPutAnswers` each PUT answer is
 * never relayed, the client's connection cut instead (as when a gateway dies after storing).
 */
export async function startS3Recorder(
  gateway: string,
  { headDelayMs = 0, putDelayMs = 0, dropPutAnswers = false } = {},
): Promise<S3Recorder> {
  const fresh = (): S3Traffic => ({ heads: 0, lists: 0, multipartSends: 0, headsInFlight: 0, mostHeadsInFlight: 0 });
  const recorder = { traffic: fresh() };
  const server = http.createServer((req, res) => {
    const traffic = recorder.traffic;
    const head = req.method === 'HEAD';
    if (head) {
      traffic.heads += 1;
      traffic.mostHeadsInFlight = Math.max(traffic.mostHeadsInFlight, ++traffic.headsInFlight);
      res.once('close', () => (traffic.headsInFlight -= 1));
    }
    if (req.method === 'GET' && /[?&]list-type=2/.test(req.url ?? '')) traffic.lists += 1;
    if (/[?&](uploads|partNumber=)/.test(req.url ?? '') && req.method !== 'DELETE') traffic.multipartSends += 1;
    const forward = http.request(`${gateway}${req.url}`, { method: req.method, headers: req.headers }, (answer) => {
      const relay = () => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      };
      if (dropPutAnswers && req.method === 'PUT') {
        answer.resume();
        res.destroy();
        return;
      }
      const delayMs = head ? headDelayMs : req.method === 'PUT' ? putDelayMs : 0;
      if (delayMs > 0) setTimeout(relay, delayMs);
      else relay();
    });
    forward.on('error', () => res.destroy());
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    get traffic() {
      return recorder.traffic;
    },
    reset: () => void (recorder.traffic = fresh()),
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
