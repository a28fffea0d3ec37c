import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService, type RunningService } from './helpers/app.ts';
import { testKey, type Scope } from './helpers/access.ts';
import { fixture, multipartBody, uniqueMp3, urlencodedUpload } from './helpers/media.ts';
import { storedFiles } from './helpers/stored.ts';
import { createUpload, headUpload, patchUpload, TUS_HEADERS } from './helpers/tus.ts';

const ADMIN = 'admin-token';
const admin = { Authorization: `Bearer ${ADMIN}` };
const SCOPES: Scope[] = ['read', 'write', 'delete'];
// One key per scope, each for `podcasts` only, and one with every scope for `podcasts`.
const only = Object.fromEntries(SCOPES.map((scope) => [scope, testKey(`only-${scope}`, [scope], ['podcasts'])])) as Record<
  Scope,
  ReturnType<typeof testKey>
>;
const podcaster = testKey('podcaster', SCOPES, ['podcasts']);
const live = testKey('live', SCOPES, ['music/live']);

interface Answer {
  status: number;
  body: { code?: number; reason?: string; [field: string]: unknown };
}

async function answer(res: Response): Promise<Answer> {
  const json = res.headers.get('content-type')?.startsWith('application/json');
  return { status: res.status, body: json ? ((await res.json()) as Answer['body']) : (await res.arrayBuffer(), {}) };
}

/** Every route that reads, writes or deletes, with the scope it needs, run in `directory` with `headers`. */
const ROUTES: Array<{
  route: string;
  scope: Scope;
  run: (url: string, headers: Record<string, string>, directory: string) => Promise<Answer>;
}> = [
  {
    route: 'POST /media (multipart)',
    scope: 'write',
    run: (url, headers, directory) => {
      const { body, contentType } = multipartBody([
        { name: 'directory', body: directory },
        { name: 'file', filename: 'new.mp3', body: uniqueMp3('multipart') },
      ]);
      return fetch(`${url}/media`, { method: 'POST', headers: { ...headers, 'Content-Type': contentType }, body }).then(answer);
    },
  },
  {
    route: 'POST /media (urlencoded)',
    scope: 'write',
    run: (url, headers, directory) =>
      fetch(`${url}/media`, {
        method: 'POST',
        headers: { ...headers, 'Content-Type': 'application/x-www-form-urlencoded' },
        body: urlencodedUpload({ directory, filename: 'new-urlencoded.mp3', body: uniqueMp3('urlencoded') }),
      }).then(answer),
  },
  {
    route: 'POST /uploads (tus creation)',
    scope: 'write',
    run: (url, headers, directory) => createUpload(url, directory, 'resumable.mp3', 1000, headers).then(answer),
  },
  {
    route: 'DELETE /media',
    scope: 'delete',
    run: (url, headers, directory) =>
      fetch(`${url}/media?${new URLSearchParams({ directory, filename: 'seed.mp3' })}`, { method: 'DELETE', headers }).then(answer),
  },
  {
    route: 'GET /media?directory=',
    scope: 'read',
    run: (url, headers, directory) => fetch(`${url}/media?${new URLSearchParams({ directory })}`, { headers }).then(answer),
  },
  {
    route: 'GET /media/{directory}/{filename}',
    scope: 'read',
    run: (url, headers, directory) => fetch(`${url}/media/${directory}/seed.mp3`, { headers }).then(answer),
  },
  {
    route: 'HEAD /media/{directory}/{filename}',
    scope: 'read',
    run: async (url, headers, directory) => ({
      status: (await fetch(`${url}/media/${directory}/seed.mp3`, { method: 'HEAD', headers })).status,
      body: {},
    }),
  },
  {
    route: 'POST /signed-urls (download)',
    scope: 'read',
    run: (url, headers, directory) => signRequest(url, headers, { operation: 'download', directory, filename: 'seed.mp3' }),
  },
  {
    route: 'POST /signed-urls (upload)',
    scope: 'write',
    run: (url, headers, directory) => signRequest(url, headers, { operation: 'upload', directory, filename: 'signed.mp3' }),
  },
];

function signRequest(url: string, headers: Record<string, string>, body: Record<string, unknown>): Promise<Answer> {
  return fetch(`${url}/signed-urls`, {
    method: 'POST',
    headers: { ...headers, 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  }).then(answer);
}

const CASES = ROUTES.flatMap(({ route, scope, run }) => [
  ...SCOPES.filter((other) => other !== scope).map((other) => ({
    route,
    run,
    key: only[other],
    directory: undefined as string | undefined,
    missing: `lacks the '${scope}' scope`,
  })),
  { route, run, key: podcaster, directory: 'music', missing: "may not use directory 'music'" },
]);

describe('scoped keys', () => {
  let service: RunningService;
  let before: string[];
  beforeAll(async () => {
    service = await startService({
      auth: {
        tokens: [ADMIN],
        keys: [...Object.values(only), podcaster, live].map((key) => key.entry),
        protectReads: true,
        signingKeys: [{ id: 'k1', secret: 'a-signing-secret-of-at-least-32-characters' }],
      },
    });
    for (const directory of ['podcasts', 'music', 'music/live', 'musical']) {
      const { body, contentType } = multipartBody([
        { name: 'directory', body: directory },
        { name: 'file', filename: 'seed.mp3', body: fixture('tone.mp3') },
      ]);
      const res = await fetch(`${service.url}/media`, { method: 'POST', headers: { ...admin, 'Content-Type': contentType }, body });
      expect(res.status).toBe(200);
    }
    before = (await storedFiles(service.store)).sort();
  });
  afterAll(() => service.close());

  it.each(CASES.map((c) => [c.route, c.key.entry.id, c.directory ?? 'podcasts', c] as const))(
    '%s with key %s in %s: 403 naming what is missing, nothing changed',
    async (route, _id, directory, { run, key, missing }) => {
      const { status, body } = await run(service.url, key.bearer, directory);
      expect(status).toBe(403);
      if (!route.startsWith('HEAD')) {
        expect(body.code).toBe(403);
        expect(body.reason).toContain(missing);
      }
      expect((await storedFiles(service.store)).sort()).toEqual(before);
    },
  );

  it.each(ROUTES.map((r) => [r.route, r] as const))('%s: 401 without a key and with an unknown one', async (_route, { run }) => {
    for (const headers of [{}, { Authorization: 'Bearer not-a-key' }] as Array<Record<string, string>>) {
      const { status, body } = await run(service.url, headers, 'podcasts');
      expect(status).toBe(401);
      if (body.code !== undefined) expect(body.code).toBe(401);
    }
    expect((await storedFiles(service.store)).sort()).toEqual(before);
  });

  it.each(ROUTES.filter((r) => r.scope !== 'delete').map((r) => [r.route, r] as const))(
    '%s: the key with the scope for the directory succeeds',
    async (_route, { run, scope }) => {
      const { status } = await run(service.url, only[scope].bearer, 'podcasts');
      expect(status).toBeLessThan(300);
    },
  );

  it('DELETE /media: the key with the delete scope deletes in its directory', async () => {
    const { status, body } = await ROUTES.find((r) => r.route === 'DELETE /media')!.run(service.url, only.delete.bearer, 'podcasts');
    expect(status).toBe(200);
    expect(body).toMatchObject({ code: 200, deleted: true });
  });

  it("treats directories as prefixes: 'music/live' covers 'music/live/x', not 'music' nor 'musical'", async () => {
    const read = (path: string) => fetch(`${service.url}/media/${path}`, { headers: live.bearer });
    expect((await read('music/live/seed.mp3')).status).toBe(200);
    expect((await read('music/seed.mp3')).status).toBe(403);
    expect((await read('musical/seed.mp3')).status).toBe(403);
  });

  it('lists at the root only the directories a key may read, and the way to them', async () => {
    const list = async (key: ReturnType<typeof testKey> | undefined, directory = '') =>
      answer(await fetch(`${service.url}/media?${new URLSearchParams({ directory })}`, { headers: key?.bearer ?? admin }));
    expect((await list(undefined)).body.directories).toEqual(expect.arrayContaining(['music', 'musical', 'podcasts']));
    expect((await list(podcaster)).body.directories).toEqual(['podcasts']);
    expect((await list(live)).body.directories).toEqual(['music']);
    // On the way to music/live: the directory leading there, none of music's own files.
    expect((await list(live, 'music')).body).toMatchObject({ code: 200, directories: ['live'], files: [] });
    expect((await list(live, 'music/live')).body.files).toEqual([expect.objectContaining({ filename: 'seed.mp3' })]);
    expect((await list(live, 'musical')).status).toBe(403);
  });

  it('keeps a resumable upload to the key that created it: another key gets 403, no key 401', async () => {
    const created = await createUpload(service.url, 'podcasts', 'owned.mp3', fixture('tone.mp3').length, podcaster.bearer);
    expect(created.status).toBe(201);
    const location = created.headers.get('location')!;
    expect((await headUpload(service.url, location, only.write.bearer)).status).toBe(403);
    expect((await headUpload(service.url, location)).status).toBe(401);
    expect((await patchUpload(service.url, location, 0, fixture('tone.mp3'), only.write.bearer)).status).toBe(403);
    const deleted = await fetch(`${service.url}${location}`, { method: 'DELETE', headers: { ...TUS_HEADERS, ...admin } });
    expect(deleted.status).toBe(403);
    expect((await headUpload(service.url, location, podcaster.bearer)).status).toBe(200);
    const done = await patchUpload(service.url, location, 0, fixture('tone.mp3'), podcaster.bearer);
    expect(done.status).toBe(200);
    expect(await storedFiles(service.store, 'podcasts')).toContain('podcasts/owned.mp3');
  });
});

describe('scoped keys in legacy status mode', () => {
  let service: RunningService;
  beforeAll(async () => {
    service = await startService({ media: { statusMode: 'legacy' }, auth: { keys: [only.read.entry] } });
  });
  afterAll(() => service.close());

  it('answers HTTP 200 with code 403 for a key without the scope', async () => {
    const res = await ROUTES[0]!.run(service.url, only.read.bearer, 'podcasts');
    expect(res).toEqual({ status: 200, body: { code: 403, reason: "forbidden: key 'only-read' lacks the 'write' scope" } });
  });
});
