import { describe, expect, it } from 'vitest';
import { checkExchange, type Exchange } from '../helpers/conformance-check.ts';
import { OpenApiDocument } from '../helpers/openapi.ts';

// The checker that every integration test's answers go through, tried on hand-made answers:
// it must pass what openapi.yaml documents and fail what it does not.

const spec = OpenApiDocument.load();
const JSON_TYPE = { 'content-type': 'application/json; charset=utf-8' };

function answer(method: string, target: string, status: number, body?: unknown, headers: Exchange['headers'] = JSON_TYPE): Exchange {
  const json = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
  return { method, target, upgrade: false, status, headers, json };
}

const stored = {
  directory: 'songs',
  filename: 'a.mp3',
  size: 4896,
  sha256: '41c9b2692d302384d98ac54fc5c71b60cde0907118621abe460face1b1f2d1ee',
  contentType: 'audio/mpeg',
  metadata: null,
  code: 200,
  reason: 'OK',
};

describe('checkExchange', () => {
  it('passes a documented answer', () => {
    expect(checkExchange(spec, answer('POST', '/media', 200, { code: 200, reason: 'OK', files: [stored] }))).toEqual([]);
  });

  it('fails an undocumented status', () => {
    expect(checkExchange(spec, answer('POST', '/media', 418, { code: 400, reason: 'x' }))).toEqual([
      'status 418 is not documented for POST /media',
    ]);
  });

  it('fails a body with a renamed field', () => {
    const { sha256, ...rest } = stored;
    const problems = checkExchange(spec, answer('POST', '/media', 200, { code: 200, reason: 'OK', files: [{ ...rest, sha: sha256 }] }));
    expect(problems.join('\n')).toMatch(/must have required property 'sha256'/);
    expect(problems.join('\n')).toMatch(/must NOT have additional properties/);
  });

  it('fails an error body whose code is not in the code table', () => {
    expect(checkExchange(spec, answer('GET', '/media/a/b.mp3', 404, { code: 418, reason: 'x' })).join('\n')).toMatch(
      /\/code must be equal to one of the allowed values/,
    );
  });

  it('fails an undocumented header, and a missing required one', () => {
    const problems = checkExchange(
      spec,
      answer('GET', '/media/a/b.mp3', 401, { code: 401, reason: 'missing or wrong bearer token' }, { ...JSON_TYPE, 'x-secret': '1' }),
    );
    expect(problems).toEqual([
      'GET /media/{directory}/{filename} 401: required header WWW-Authenticate is missing',
      'GET /media/{directory}/{filename} 401: header x-secret is not documented',
    ]);
  });

  it('fails a Content-Type the response does not document', () => {
    expect(checkExchange(spec, answer('GET', '/healthz', 200, undefined, { 'content-type': 'text/html' }))).toEqual([
      "GET /healthz 200: Content-Type 'text/html' is not one of application/json",
    ]);
  });

  it('matches a directory of several segments, and HEAD on a GET route', () => {
    const headers = {
      'content-type': 'audio/mpeg',
      etag: `"${stored.sha256}"`,
      'last-modified': 'x',
      'accept-ranges': 'bytes',
      'cache-control': 'no-cache',
    };
    expect(checkExchange(spec, { ...answer('GET', '/media/a/b/c/d.mp3?x=1', 200, undefined, headers) })).toEqual([]);
    expect(checkExchange(spec, answer('HEAD', '/healthz', 200, undefined))).toEqual([]);
  });

  it('holds a legacy-mode answer to the body and headers of its semantic status', () => {
    const exists = {
      code: 501,
      reason: 'file already exists',
      files: [{ directory: 'd', filename: 'a.mp3', code: 501, reason: 'file already exists' }],
    };
    expect(checkExchange(spec, answer('POST', '/media', 200, exists))).toEqual([]);
    expect(
      checkExchange(
        spec,
        answer(
          'POST',
          '/media',
          200,
          { code: 401, reason: 'missing or wrong bearer token' },
          { ...JSON_TYPE, 'www-authenticate': 'Bearer' },
        ),
      ),
    ).toEqual([]);
    expect(checkExchange(spec, answer('POST', '/media', 200, { code: 401, reason: 'x' })).join('\n')).toMatch(
      /as 401: .*WWW-Authenticate is missing/,
    );
    expect(checkExchange(spec, answer('GET', '/media', 200, { code: 416, reason: 'x' }))).toEqual([
      'legacy answer with code 416 has no documented semantic status for GET /media',
    ]);
  });

  it('allows only 404 {code, reason} on routes it does not document', () => {
    expect(checkExchange(spec, answer('GET', '/a/b', 404, { code: 404, reason: 'no route for GET /a/b' }))).toEqual([]);
    expect(checkExchange(spec, answer('PUT', '/nowhere', 404, { code: 404, reason: 'no route for PUT /nowhere' }))).toEqual([]);
    expect(checkExchange(spec, answer('GET', '/a/b', 200, { code: 200, reason: 'OK' }))[0]).toMatch(
      /only 404 is documented for unknown routes/,
    );
  });

  it('allows only 405 {code: 405, reason} with Allow for a method a /media path lacks', () => {
    const allow = { ...JSON_TYPE, allow: 'GET, HEAD' };
    expect(checkExchange(spec, answer('PATCH', '/media/a/b.mp3', 405, { code: 405, reason: 'method not allowed' }, allow))).toEqual([]);
    expect(checkExchange(spec, answer('PATCH', '/media/a/b.mp3', 200, { code: 405, reason: 'method not allowed' }, allow))).toEqual([]);
    expect(checkExchange(spec, answer('PATCH', '/media/a/b.mp3', 404, { code: 404, reason: 'no route' }, allow))).toEqual([
      'PATCH /media/{directory}/{filename}: status 404, documented 405',
      'PATCH /media/{directory}/{filename}: code is not 405',
    ]);
    expect(checkExchange(spec, answer('PATCH', '/media/a/b.mp3', 405, { code: 405, reason: 'method not allowed' }))).toEqual([
      'PATCH /media/{directory}/{filename}: no Allow header',
    ]);
  });

  it("tells the proxy's own answers (JSON, no Via) from the upstream's (any, with Via)", () => {
    const via = { 'content-type': 'text/plain', via: '1.1 media-service', 'x-anything': 'y' };
    expect(checkExchange(spec, answer('GET', '/proxy/api/x', 404, undefined, via))).toEqual([]);
    expect(checkExchange(spec, answer('POST', '/proxy/api', 201, undefined, via))).toEqual([]);
    expect(checkExchange(spec, answer('GET', '/proxy/api/x', 502, { code: 502, reason: 'upstream "api" unreachable' }))).toEqual([]);
    expect(checkExchange(spec, answer('GET', '/proxy/api/x', 502, { code: 502 })).join('\n')).toMatch(
      /must have required property 'reason'/,
    );
    expect(checkExchange(spec, answer('GET', '/proxy/api/x', 418, { code: 418, reason: 'x' })).join('\n')).toMatch(/Via is missing/);
  });

  it('checks WebSocket handshakes', () => {
    const handshake = (status: number, headers: Exchange['headers'], target = '/chat/ws?name=ann') => ({
      ...answer('GET', target, status, undefined, headers),
      upgrade: true,
    });
    expect(checkExchange(spec, handshake(101, { upgrade: 'websocket', connection: 'Upgrade', 'sec-websocket-accept': 'x' }))).toEqual([]);
    expect(checkExchange(spec, handshake(403, { 'content-type': 'text/plain; charset=utf-8', connection: 'close' }))).toEqual([]);
    expect(checkExchange(spec, handshake(404, { 'content-type': 'text/plain; charset=utf-8' }, '/elsewhere'))).toEqual([]);
    expect(checkExchange(spec, handshake(101, { upgrade: 'websocket', connection: 'Upgrade' })).join('\n')).toMatch(
      /Sec-WebSocket-Accept is missing/,
    );
    expect(checkExchange(spec, handshake(409, { 'content-type': 'text/plain' }))).toEqual([
      'status 409 is not documented for GET /chat/ws',
    ]);
    expect(checkExchange(spec, { ...handshake(405, { 'content-type': 'text/html' }), method: 'POST' })).toEqual([]);
  });
});
