import { describe, expect, it } from 'vitest';
import { startService } from './helpers/app.ts';
import { fixture, multipartBody } from './helpers/media.ts';
import { projectRoot, runToEnd } from './helpers/process.ts';

const npm = (args: string[]) => runToEnd('npm', ['run', '--silent', 'key', '--', ...args], projectRoot, process.env);

describe('npm run key', () => {
  it('prints a secret once and an auth.keys entry with its digest, which the service then accepts', async () => {
    const ran = await npm(['--id', 'app', '--scopes', 'read,write', '--directories', 'podcasts']);
    expect(ran.status).toBe(0);
    const [, secret, , , json] = ran.stdout.trim().split('\n');
    const entry = JSON.parse(json!) as { id: string; sha256: string; scopes: Array<'read' | 'write' | 'delete'>; directories: string[] };
    expect(entry).toMatchObject({ id: 'app', scopes: ['read', 'write'], directories: ['podcasts'] });
    expect(JSON.stringify(entry)).not.toContain(secret!);

    const service = await startService({ auth: { keys: [entry] } });
    try {
      const post = (directory: string) => {
        const { body, contentType } = multipartBody([
          { name: 'directory', body: directory },
          { name: 'file', filename: 'a.mp3', body: fixture('tone.mp3') },
        ]);
        return fetch(`${service.url}/media`, {
          method: 'POST',
          headers: { Authorization: `Bearer ${secret}`, 'Content-Type': contentType },
          body,
        });
      };
      expect((await post('podcasts')).status).toBe(200);
      expect((await post('music')).status).toBe(403);
    } finally {
      await service.close();
    }
  });

  it('refuses an unknown scope and a missing --scopes with exit 2 and a usage line', async () => {
    for (const args of [['--scopes', 'read,admin'], []]) {
      const ran = await npm(args);
      expect(ran.status).toBe(2);
      expect(ran.stderr).toContain('usage: npm run key -- --scopes');
    }
  });
});
