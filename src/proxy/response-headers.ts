import type { IncomingHttpHeaders } from 'node:http';
import { hopByHop } from './hop-by-hop.ts';
import { VIA_PSEUDONYM } from './request-headers.ts';

export type HeaderList = Array<[name: string, value: string | string[]]>;

/** The upstream's answer header fields as the client should see them. */
export function downstreamHeaders(headers: IncomingHttpHeaders, statusCode: number): HeaderList {
  const isHopByHop = hopByHop(headers.connection);
  const list: HeaderList = [];
  for (const [name, value] of Object.entries(headers)) {
    // Via is rebuilt below. RFC 9110 §8.6: a server MUST NOT send Content-Length in a 204 answer.
    const drop = isHopByHop(name) || name === 'via' || (statusCode === 204 && name === 'content-length');
    if (value !== undefined && !drop) list.push([name, value]);
  }
  const via = [headers.via ?? []].flat();
  list.push(['via', [...via, `1.1 ${VIA_PSEUDONYM}`].join(', ')]);
  return list;
}
