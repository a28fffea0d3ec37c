import request from 'supertest';
import { multipartBody, urlencodedUpload } from './media.ts';

export type BodyKind = 'multipart' | 'urlencoded';
export const BODY_KINDS: BodyKind[] = ['multipart', 'urlencoded'];

export interface UploadFields {
  directory?: string;
  filename?: string;
  bytes?: Uint8Array;
  token?: string;
  /** multipart only: the file part's field name (the directory when no `directory` field is sent). */
  fieldName?: string;
}

/** POST /media with one file in the given body kind; absent fields are left out of the request. */
export function upload(url: string, kind: BodyKind, fields: UploadFields) {
  const req = request(url).post('/media');
  if (fields.token) req.set('Authorization', `Bearer ${fields.token}`);
  if (kind === 'urlencoded') {
    const body = urlencodedUpload({ directory: fields.directory, filename: fields.filename, body: fields.bytes });
    return req.type('form').send(body);
  }
  const parts = [];
  if (fields.directory !== undefined) parts.push({ name: 'directory', body: fields.directory });
  if (fields.bytes !== undefined) parts.push({ name: fields.fieldName ?? 'file', filename: fields.filename ?? '', body: fields.bytes });
  const { body, contentType } = multipartBody(parts);
  return req.set('Content-Type', contentType).send(body);
}
