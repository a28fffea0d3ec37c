import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.ts';
import { tempRoot } from './helpers/app.ts';

async function projectWith(files: Record<string, unknown>): Promise<string> {
  const cwd = await tempRoot('media-config-');
  await mkdir(path.join(cwd, 'config'));
  for (const [name, content] of Object.entries(files)) {
    await writeFile(path.join(cwd, name), typeof content === 'string' ? content : JSON.stringify(content));
  }
  return cwd;
}

describe('loadConfig', () => {
  it('has the spec defaults with no files and no environment', async () => {
    const cwd = await projectWith({});
    const config = loadConfig({ env: {}, cwd });
    expect(config.server).toMatchObject({ port: 8080, host: '127.0.0.1', workers: 1, requestTimeoutMs: 0 });
    expect(config.storage.root).toBe(path.join(cwd, 'uploads'));
    expect(config.media).toMatchObject({
      statusMode: 'semantic',
      verifyContent: true,
      allowedExtensions: ['.mp3', '.wav'],
      maxFileSize: 104857600,
      maxFiles: 10,
      maxFields: 20,
      poolSize: 5,
      fsync: true,
    });
    expect(config.auth).toMatchObject({ tokens: [], keys: [], protectReads: false, signingKeys: [], clockSkewSeconds: 30 });
    expect(Object.isFrozen(config.media)).toBe(true);
  });

  it('layers default.json, <NODE_ENV>.json, CONFIG_FILE, then environment variables', async () => {
    const cwd = await projectWith({
      'config/default.json': { server: { port: 1000, host: '0.0.0.0' }, media: { maxFiles: 3, poolSize: 2 } },
      'config/production.json': { server: { port: 2000 }, media: { maxFiles: 4 } },
      'extra.json': { server: { port: 3000 }, media: { allowedExtensions: ['.MP3'] } },
    });
    const config = loadConfig({
      env: {
        NODE_ENV: 'production',
        CONFIG_FILE: 'extra.json',
        PORT: '4000',
        UPLOAD_DIR: '/srv/media',
        AUTH_TOKENS: ' a, b ,,',
        AUTH_SIGNING_KEY: 'a-signing-secret-of-at-least-32-characters',
        LOG_LEVEL: 'warn',
      },
      cwd,
    });
    expect(config.server).toMatchObject({ port: 4000, host: '0.0.0.0' });
    expect(config.media).toMatchObject({ maxFiles: 4, poolSize: 2, allowedExtensions: ['.mp3'] });
    expect(config.storage.root).toBe('/srv/media');
    expect(config.auth.tokens).toEqual(['a', 'b']);
    expect(config.auth.signingKeys).toEqual([{ id: 'env', secret: 'a-signing-secret-of-at-least-32-characters' }]);
    expect(config.log.level).toBe('warn');
  });

  it.each([
    [{ PORT: 'eighty' }, {}, /^invalid config: server\.port \(from PORT\): /],
    [{ LOG_LEVEL: 'loud' }, {}, /^invalid config: log\.level \(from LOG_LEVEL\): /],
    [{}, { media: { maxFileSize: -1 } }, /^invalid config: media\.maxFileSize: /],
    [{}, { media: { statusMode: 'tornado' } }, /^invalid config: media\.statusMode: /],
    [{}, { media: { allowedExtensions: ['mp3'] } }, /^invalid config: media\.allowedExtensions\.0: /],
    [{}, { media: { maxFile: 3 } }, /^invalid config: media: .*maxFile/],
    [
      { AUTH_SIGNING_KEY: 'short' },
      {},
      /^invalid config: auth\.signingKeys\.0\.secret \(from AUTH_SIGNING_KEY\): must be at least 32 characters/,
    ],
    [
      {},
      { auth: { keys: [{ id: 'app', sha256: 'abc', scopes: ['read'] }] } },
      /^invalid config: auth\.keys\.0\.sha256: must be 64 hex digits/,
    ],
    [{}, { auth: { keys: [{ id: 'app', sha256: 'a'.repeat(64), scopes: ['admin'] }] } }, /^invalid config: auth\.keys\.0\.scopes\.0: /],
  ])('names the key of a bad value in one line (%o %o)', async (env, file, message) => {
    const cwd = await projectWith({ 'config/default.json': file });
    const load = () => loadConfig({ env, cwd });
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(message);
    try {
      load();
    } catch (error) {
      expect((error as Error).message).not.toContain('\n');
    }
  });

  it('reports every problem, one line each naming its key', async () => {
    const cwd = await projectWith({
      'config/default.json': { media: { maxFileSize: -1, statusMode: 'tornado' }, server: { colour: 'red' } },
    });
    let message = '';
    try {
      loadConfig({ env: { PORT: 'eighty' }, cwd });
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      message = (error as Error).message;
    }
    const lines = message.split('\n').sort();
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatch(/^invalid config: media\.maxFileSize: /);
    expect(lines[1]).toMatch(/^invalid config: media\.statusMode: /);
    expect(lines[2]).toMatch(/^invalid config: server\.port \(from PORT\): /);
    expect(lines[3]).toMatch(/^invalid config: server: .*colour/);
  });

  it('reports a CONFIG_FILE that does not exist or is not JSON', async () => {
    const cwd = await projectWith({ 'broken.json': '{ not json' });
    expect(() => loadConfig({ env: { CONFIG_FILE: 'missing.json' }, cwd })).toThrow(/CONFIG_FILE: no such file/);
    expect(() => loadConfig({ env: { CONFIG_FILE: 'broken.json' }, cwd })).toThrow(/broken\.json/);
  });
});
