import { readFile, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startService as startRuntimeService, type Service } from '../src/runtime/service.ts';
import { tempRoot, testConfig, testLogger } from './helpers/app.ts';
import { sha256 } from './helpers/media.ts';
import { freePort, startServiceProcess, type ServiceProcess } from './helpers/process.ts';
import { checksumHeader, largeMp3, resumableLeftovers, TUS_HEADERS, tusUpload, uploadMetadata } from './helpers/tus.ts';
import { waitFor } from './helpers/wait.ts';

const roots: string[] = [];
afterAll(async () => {
  await Promise.all(roots.map((root) => rm(root, { recursive: true, force: true })));
});

interface RawAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** One request on a connection of its own, so a cluster hands each to the next worker. */
function onFreshConnection(url: string, method: string, headers: Record<string, string>, body?: Buffer): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers, agent: false }, (res) => {
      let text = '';
      res.on('data', (chunk) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('resumable uploads across processes', () => {
  it('continues an upload sent in 5 chunks with the service restarted between chunks', async () => {
    const root = await tempRoot();
    roots.push(root);
    const port = await freePort();
    const config = testConfig(root, { server: { port, host: '127.0.0.1', shutdownGraceMs: 0 } });
    const bytes = largeMp3(500_000);
    const chunkSize = Math.ceil(bytes.length / 5);
    let uploadUrl: string | undefined;
    let answer: Awaited<ReturnType<typeof tusUpload>> | undefined;
    let sessions = 0;
    while (answer?.status !== 200 && sessions < 5) {
      const service: Service = await startRuntimeService(config, { logger: testLogger });
      sessions += 1;
      try {
        // One chunk per process: the client stops after it, as a phone losing its connection would.
        answer = await tusUpload(service.url, bytes, {
          directory: 'restart',
          filename: 'five.mp3',
          chunkSize,
          uploadUrl,
          stopAfterChunk: () => true,
        });
        uploadUrl = answer.uploadUrl;
      } finally {
        await service.stop();
      }
    }
    expect(sessions).toBe(5);
    expect(answer?.status).toBe(200);
    expect(answer?.body).toMatchObject({ code: 200, files: [{ size: bytes.length, sha256: sha256(bytes) }] });
    expect(sha256(await readFile(path.join(root, 'restart', 'five.mp3')))).toBe(sha256(bytes));
    // Only the record, which keeps the answer until expiry.
    expect(await resumableLeftovers(root)).toEqual([`${new URL(uploadUrl!).pathname.split('/').at(-1)}.json`]);
  });

  describe('cluster mode (server.workers 2)', () => {
    let service: ServiceProcess | undefined;
    afterAll(async () => {
      await service?.stop('SIGKILL');
    });

    it('takes the chunks of one upload on both workers, each verified, and publishes it once', async () => {
      const root = await tempRoot();
      roots.push(root);
      const configFile = path.join(root, 'config.json');
      await writeFile(configFile, JSON.stringify({ server: { workers: 2 }, storage: { root: path.join(root, 'media') } }));
      service = await startServiceProcess({ CONFIG_FILE: configFile });
      const lines = () =>
        service!
          .output()
          .split('\n')
          .filter((line) => line.startsWith('{'))
          .map((line) => JSON.parse(line) as { msg: string; pid: number; req?: { url: string; method: string } });
      await waitFor('two workers listening', () => lines().filter((line) => line.msg.startsWith('listening on')).length === 2, 15_000);

      const bytes = largeMp3(500_000);
      const created = await onFreshConnection(`${service.url}/uploads`, 'POST', {
        ...TUS_HEADERS,
        'Upload-Length': String(bytes.length),
        'Upload-Metadata': uploadMetadata('cluster', 'shared.mp3'),
      });
      expect(created.status).toBe(201);
      const location = created.headers.location!;
      const chunkSize = Math.ceil(bytes.length / 6);
      let last: RawAnswer | undefined;
      for (let offset = 0; offset < bytes.length; offset += chunkSize) {
        const chunk = bytes.subarray(offset, offset + chunkSize);
        last = await onFreshConnection(
          `${service.url}${location}`,
          'PATCH',
          {
            ...TUS_HEADERS,
            'Content-Type': 'application/offset+octet-stream',
            'Upload-Offset': String(offset),
            'Upload-Checksum': checksumHeader('sha256', chunk),
          },
          chunk,
        );
        expect(last.status).toBe(offset + chunk.length < bytes.length ? 204 : 200);
        expect(last.headers['upload-offset']).toBe(String(offset + chunk.length));
      }
      expect(JSON.parse(last!.body)).toMatchObject({
        code: 200,
        files: [{ directory: 'cluster', filename: 'shared.mp3', sha256: sha256(bytes) }],
      });
      expect(sha256(await readFile(path.join(root, 'media', 'cluster', 'shared.mp3')))).toBe(sha256(bytes));

      // The same chunk twice at once, on two connections (so two workers): the upload's lock lets
      // one write; the other finds the offset moved (409) or the upload busy (423).
      const second = await onFreshConnection(`${service.url}/uploads`, 'POST', {
        ...TUS_HEADERS,
        'Upload-Length': String(bytes.length),
        'Upload-Metadata': uploadMetadata('cluster', 'twice.mp3'),
      });
      const twice = second.headers.location!;
      const chunk = bytes.subarray(0, 400_000);
      const send = () =>
        onFreshConnection(
          `${service!.url}${twice}`,
          'PATCH',
          { ...TUS_HEADERS, 'Content-Type': 'application/offset+octet-stream', 'Upload-Offset': '0' },
          chunk,
        );
      const statuses = (await Promise.all([send(), send()])).map((answer) => answer.status).sort();
      expect(statuses[0]).toBe(204);
      expect([409, 423]).toContain(statuses[1]);
      const offset = await onFreshConnection(`${service.url}${twice}`, 'HEAD', TUS_HEADERS);
      expect(offset.headers['upload-offset']).toBe(String(chunk.length));

      // Request lines are logged when the answer ends: wait for the last PATCH's.
      const patchPids = () =>
        lines()
          .filter((line) => line.req?.method === 'PATCH' && line.req.url === location)
          .map((line) => line.pid);
      await waitFor('every PATCH logged', () => patchPids().length === 6, 5000);
      expect(new Set(patchPids()).size).toBe(2);
    });
  });
});
