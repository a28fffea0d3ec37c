import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService, type RunningService } from './helpers/app.ts';

// The page's files over plain HTTP; what the page does in a browser is in library-page.test.ts.
describe('library page over HTTP', () => {
  let service: RunningService;
  beforeAll(async () => {
    service = await startService();
  });
  afterAll(() => service?.close());

  it('serves GET / with module scripts only, under the service CSP', async () => {
    const res = await request(service.url).get('/');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.headers['content-security-policy']).toContain("script-src 'self'");
    expect(res.text).toContain('<script type="module" src="/library/library.js"></script>');
    expect(res.text.match(/<script(?![^>]*\bsrc=)/g)).toBeNull();
    expect(res.text).not.toMatch(/<style|\sstyle=|\son[a-z]+=/i);
  });

  it.each([
    'library.js',
    'api.js',
    'token.js',
    'upload.js',
    'browse.js',
    'file-card.js',
    'confirm-dialog.js',
    'format.js',
    'dom.js',
    'access.js',
  ])('serves the module /library/%s as JavaScript', async (file) => {
    const res = await request(service.url).get(`/library/${file}`);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/javascript/);
  });

  it('serves the stylesheet and nothing outside the page directory', async () => {
    expect((await request(service.url).get('/library/library.css')).headers['content-type']).toMatch(/^text\/css/);
    expect((await request(service.url).get('/library/%2e%2e/routes.ts')).status).toBe(404);
    expect((await request(service.url).get('/library/')).status).toBe(404);
  });
});
