import type { IncomingMessage } from 'node:http';
import { AppError } from '../../errors.ts';

export const TUS_VERSION = '1.0.0';
const CHUNK_CONTENT_TYPE = 'application/offset+octet-stream';

/** Methods that carry `Tus-Resumable` (OPTIONS does not; GET is not tus). */
const TUS_METHODS = new Set(['POST', 'HEAD', 'PATCH', 'DELETE']);

/**
 * The tus 1.0 rules @tus/server does not keep, checked before it sees the request: the Server
 * MUST answer a version it does not support with 412 and `Tus-Version` (it checks only that the
 * header is there, and names no version), and a PATCH whose Content-Type is not
 * application/offset+octet-stream with 415 (it answers 400, or 403 without one).
 */
export function tusPrecondition(req: IncomingMessage): Response | undefined {
  if (!TUS_METHODS.has(req.method ?? '')) return undefined;
  const version = req.headers['tus-resumable'];
  if (version !== TUS_VERSION) {
    const given = version === undefined ? 'no Tus-Resumable header' : `Tus-Resumable ${JSON.stringify(version)}`;
    return refusal(new AppError('PRECONDITION_FAILED', `precondition failed: ${given}; this server speaks tus ${TUS_VERSION}`), {
      'Tus-Version': TUS_VERSION,
    });
  }
  if (req.method === 'PATCH' && req.headers['content-type'] !== CHUNK_CONTENT_TYPE) {
    const given = req.headers['content-type'] ?? 'none';
    return refusal(new AppError('UNSUPPORTED_MEDIA_TYPE', `unsupported Content-Type ${given}: a PATCH carries ${CHUNK_CONTENT_TYPE}`));
  }
  return undefined;
}

function refusal(error: AppError, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(error.toJSON()), {
    status: error.entry.status,
    headers: { 'Tus-Resumable': TUS_VERSION, 'Content-Type': 'application/json', ...headers },
  });
}
