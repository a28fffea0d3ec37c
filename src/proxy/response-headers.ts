import type { IncomingHttpHeaders } from 'node:http';
import { hopByHopNames } from './hop-by-hop.ts';
import { VIA_PSEUDONYM } from './request-headers.ts';

export type HeaderList = Array<[name: string, value: string | string[]]>;

/** The upstream's answer header fields as the client should see them. */
export function downstreamHeaders(headers: IncomingHttpHeaders, statusCode: number): HeaderList {
  const drop = hopByHopNames(headers.connection);
  // RFC 9110 §8.6: a server MUST NOT send Content-Length in a 204 answer.
  if (statusCode === 204) drop.add('content-length');
  drop.add('via');

  const list: HeaderList = [];
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && !drop.has(name)) list.push([name, value]);
  }
  const via = [headers.via ?? []].flat();
  list.push(['via', [...via, `1.1 ${VIA_PSEUDONYM}`].join(', ')]);
  return list;
}
