import { CODES } from '../../src/errors.ts';
import { HTTP_METHODS, OpenApiDocument, type Located } from './openapi.ts';

/** One answer the service gave, as it went on the wire. */
export interface Exchange {
  method: string;
  /** The request target as received (origin-form or absolute-form, with the query). */
  target: string;
  /** A WebSocket handshake (an HTTP Upgrade request) rather than a plain request. */
  upgrade: boolean;
  status: number;
  /** Header fields by lower-case name. */
  headers: Record<string, string | string[]>;
  /** The body when it was JSON and kept whole; undefined otherwise (audio, cut answers). */
  json?: Buffer;
}

const BODYLESS_STATUSES = new Set([101, 204, 304]);
const ABSOLUTE_FORM = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#]*/;

const essence = (contentType: string | undefined) => (contentType ?? '').split(';')[0]!.trim().toLowerCase();
const isJson = (mediaType: string) => mediaType === 'application/json' || mediaType.endsWith('+json');
const single = (value: string | string[] | undefined) => (Array.isArray(value) ? value.join(', ') : value);

/** The HTTP statuses a result code has in `semantic` mode (502 is 400, 415 or the proxy's 502). */
function semanticStatuses(code: number): number[] {
  return Object.values(CODES)
    .filter((entry) => entry.code === code)
    .map((entry) => entry.status);
}

/**
 * Holds one answer to openapi.yaml and returns what does not conform (empty when it does):
 * the status must be documented for the operation, the body must match the documented schema of
 * its Content-Type, and every header must be documented on that response or be one of the
 * document's `x-common-response-headers`. The rules of `info.description` ("Rules for every
 * path", "Status modes") are applied as written there.
 */
export function checkExchange(spec: OpenApiDocument, exchange: Exchange): string[] {
  const path = exchange.target.replace(ABSOLUTE_FORM, '').replace(/[?#].*$/s, '') || '/';
  if (exchange.upgrade && path !== '/chat/ws') return expectStatus(exchange, 404, 'text/plain', 'a WebSocket handshake to another path');
  if (exchange.upgrade && exchange.method !== 'GET')
    return expectStatus(exchange, 405, 'text/html', 'a WebSocket handshake with another method than GET');

  const matched = spec.matchPath(path);
  const method = exchange.method.toLowerCase();
  const explicit = matched && (HTTP_METHODS as readonly string[]).includes(method) ? spec.child(matched.item, method) : undefined;
  // Every GET route answers HEAD with the GET's status and headers.
  const operation = explicit ?? (matched && method === 'head' ? spec.child(matched.item, 'get') : undefined);
  if (!operation) {
    if (matched && method === 'options') return checkOptions(exchange);
    if (matched && /^\/media(\/|$)/.test(path)) return checkMethodNotAllowed(spec, exchange, `${exchange.method} ${matched.template}`);
    return checkUnknownRoute(spec, exchange, path);
  }
  const where = `${exchange.method} ${matched!.template}`;
  const headOnly = method === 'head';

  if (isLegacyAnswer(operation, exchange)) return checkLegacy(spec, operation, exchange, headOnly, where);

  const response = responseFor(spec, operation, exchange.status);
  if (!response) return [`status ${exchange.status} is not documented for ${where}`];
  const problems = checkResponse(spec, response, exchange, headOnly);
  if (problems.length === 0) return [];
  // An answer passed through from elsewhere (the proxy's upstream) is the `default` one.
  const fallback = spec.child(operation, 'responses', 'default');
  if (fallback && fallback.pointer !== response.pointer && checkResponse(spec, fallback, exchange, headOnly).length === 0) return [];
  return problems.map((problem) => `${where} ${exchange.status}: ${problem}`);
}

/** The response documented for a status: exact, then `4XX`-style, then (unless excluded) `default`. */
function responseFor(spec: OpenApiDocument, operation: Located, status: number, withDefault = true): Located | undefined {
  const responses = spec.child(operation, 'responses');
  if (!responses) return undefined;
  const keys = [String(status), `${String(status)[0]}XX`, ...(withDefault ? ['default'] : [])];
  const key = keys.find((candidate) => responses.value[candidate] !== undefined);
  return key === undefined ? undefined : spec.child(responses, key);
}

function checkResponse(spec: OpenApiDocument, response: Located, exchange: Exchange, headOnly: boolean): string[] {
  const problems = checkHeaders(spec, response, exchange);
  if (response.value['x-passthrough'] === true) return problems;
  const content = spec.child(response, 'content');
  const contentType = essence(single(exchange.headers['content-type']));
  if (!content) {
    if (!headOnly && exchange.json && exchange.json.length > 0) problems.push('a body where none is documented');
    return problems;
  }
  if (headOnly || BODYLESS_STATUSES.has(exchange.status)) return problems;
  const mediaType = Object.keys(content.value).find((key) => mediaTypeMatches(essence(key), contentType));
  if (mediaType === undefined) return [...problems, `Content-Type '${contentType}' is not one of ${Object.keys(content.value).join(', ')}`];
  const schema = spec.child(content, mediaType, 'schema');
  if (schema && isJson(contentType)) problems.push(...checkJsonBody(spec, schema.pointer, exchange));
  return problems;
}

function checkJsonBody(spec: OpenApiDocument, pointer: string, exchange: Exchange): string[] {
  if (exchange.json === undefined) return [];
  let body: unknown;
  try {
    body = JSON.parse(exchange.json.toString('utf8'));
  } catch {
    return ['the body is not JSON'];
  }
  return spec.validate(pointer, body).map((problem) => `body ${problem} (${pointer})`);
}

function checkHeaders(spec: OpenApiDocument, response: Located, exchange: Exchange): string[] {
  const problems: string[] = [];
  const documented = new Set<string>();
  const headers = spec.child(response, 'headers');
  for (const name of Object.keys(headers?.value ?? {})) {
    const header = spec.child(headers!, name)!;
    documented.add(name.toLowerCase());
    const value = single(exchange.headers[name.toLowerCase()]);
    if (value === undefined) {
      if (header.value.required === true) problems.push(`required header ${name} is missing`);
      continue;
    }
    const schema = spec.child(header, 'schema');
    if (!schema) continue;
    const typed = schema.value.type === 'integer' && /^\d+$/.test(value) ? Number(value) : value;
    problems.push(...spec.validate(schema.pointer, typed).map((problem) => `header ${name}: ${problem}`));
  }
  if (response.value['x-passthrough'] === true) return problems;
  const common = new Set(((spec.root['x-common-response-headers'] as string[] | undefined) ?? []).map((name) => name.toLowerCase()));
  for (const name of Object.keys(exchange.headers)) {
    if (!documented.has(name) && !common.has(name)) problems.push(`header ${name} is not documented`);
  }
  return problems;
}

function mediaTypeMatches(documented: string, actual: string): boolean {
  if (documented === '*/*' || documented === actual) return true;
  return documented.endsWith('/*') && actual.startsWith(documented.slice(0, -1));
}

/** `legacy` status mode: an answer of HTTP 200 whose body's code says otherwise. */
function isLegacyAnswer(operation: Located, exchange: Exchange): boolean {
  if (operation.value['x-follows-status-mode'] !== true || exchange.status !== 200) return false;
  if (!isJson(essence(single(exchange.headers['content-type'])))) return false;
  return exchange.json === undefined || legacyCode(exchange) !== 200;
}

function legacyCode(exchange: Exchange): number | undefined {
  try {
    return (JSON.parse(exchange.json!.toString('utf8')) as { code?: number }).code;
  } catch {
    return undefined;
  }
}

/** The legacy answer must be what the semantic status of its code documents, body and headers. */
function checkLegacy(spec: OpenApiDocument, operation: Located, exchange: Exchange, headOnly: boolean, where: string): string[] {
  // HEAD: no body to read the code from; any documented error may be behind the 200.
  if (headOnly) return [];
  const code = legacyCode(exchange);
  const statuses = code === undefined ? [] : semanticStatuses(code);
  const attempts: string[] = [];
  for (const status of statuses) {
    const response = responseFor(spec, operation, status, false);
    if (!response) continue;
    const problems = checkResponse(spec, response, { ...exchange, status }, false);
    if (problems.length === 0) return [];
    attempts.push(...problems.map((problem) => `as ${status}: ${problem}`));
  }
  if (attempts.length === 0) return [`legacy answer with code ${code} has no documented semantic status for ${where}`];
  return attempts.map((problem) => `${where} legacy 200 ${problem}`);
}

/** Any other method or path: 404 `{code: 404, reason}` (HTTP 200 under /media in legacy mode). */
function checkUnknownRoute(spec: OpenApiDocument, exchange: Exchange, path: string): string[] {
  const where = `${exchange.method} ${path} (no such route in openapi.yaml)`;
  const legacy = exchange.status === 200 && /^\/media(\/|$)/.test(path);
  if (exchange.status !== 404 && !legacy) return [`${where}: status ${exchange.status}, only 404 is documented for unknown routes`];
  const problems = expectStatus(exchange, exchange.status, 'application/json', where);
  if (problems.length) return problems;
  const body = checkJsonBody(spec, '/components/schemas/Result', exchange);
  if (exchange.json && legacyCode(exchange) !== 404) body.push('code is not 404');
  return body.map((problem) => `${where}: ${problem}`);
}

/** A method a documented /media path lacks: 405 `{code: 405, reason}` with Allow (HTTP 200 in legacy mode). */
function checkMethodNotAllowed(spec: OpenApiDocument, exchange: Exchange, where: string): string[] {
  const problems = expectStatus(exchange, exchange.status === 200 ? 200 : 405, 'application/json', where);
  if (exchange.headers.allow === undefined) problems.push(`${where}: no Allow header`);
  problems.push(...checkJsonBody(spec, '/components/schemas/Result', exchange).map((problem) => `${where}: ${problem}`));
  if (exchange.json && legacyCode(exchange) !== 405) problems.push(`${where}: code is not 405`);
  return problems;
}

/** OPTIONS on a documented path (outside /proxy): 200 text/plain with Allow. */
function checkOptions(exchange: Exchange): string[] {
  // A CORS preflight (`cors.allowedOrigins` set) is answered 204 by the cors middleware.
  if (exchange.status === 204 && exchange.headers['access-control-allow-methods'] !== undefined) return [];
  const problems = expectStatus(exchange, 200, 'text/plain', 'OPTIONS');
  if (exchange.headers.allow === undefined) problems.push('OPTIONS: no Allow header');
  return problems;
}

function expectStatus(exchange: Exchange, status: number, mediaType: string, what: string): string[] {
  const problems: string[] = [];
  if (exchange.status !== status) problems.push(`${what}: status ${exchange.status}, documented ${status}`);
  const actual = essence(single(exchange.headers['content-type']));
  if (actual !== mediaType) problems.push(`${what}: Content-Type '${actual}', documented '${mediaType}'`);
  return problems;
}
