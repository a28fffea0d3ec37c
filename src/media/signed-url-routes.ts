import express, { Router } from 'express';
import { z } from 'zod';
import type { AuthConfig } from '../access/config.ts';
import { AppError } from '../errors.ts';
import { sendResult } from '../http/answers.ts';
import { mediaUrlPath } from './media-url.ts';
import { validTarget } from './upload-service.ts';
import { parseMediaPath } from './media-path.ts';
import type { Access } from '../access/access.ts';
import type { SignedClaims } from '../access/url-signer.ts';

const DEFAULT_EXPIRES_IN = 3600;

const requestSchema = z
  .object({
    operation: z.enum(['download', 'upload']),
    directory: z.unknown(),
    filename: z.unknown(),
    /** Seconds from now; at most auth.maxDownloadExpiresIn / auth.maxUploadExpiresIn. */
    expiresIn: z.number().int().min(1).optional(),
    /** Uploads only: the largest file the URL accepts, at most media.maxFileSize. */
    maxSize: z.number().int().min(1).optional(),
  })
  .strict();

/**
 * POST /signed-urls: a URL that lets whoever holds it download one file, or create one file,
 * without a key, until it expires. A key signs only what it may do itself.
 */
/** What signing needs of the service's config: the key limits and the upload rules of `media`. */
export interface SigningConfig {
  auth: AuthConfig;
  media: { allowedExtensions: readonly string[]; maxFileSize: number };
}

export function signedUrlRoutes(config: SigningConfig, access: Access): Router {
  const router = Router();
  router.post('/', express.json({ limit: '16kb', type: () => true }), async (req, res) => {
    const parsed = requestSchema.safeParse(req.body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new AppError('INVALID_ARGUMENT', `invalid argument: ${issue.path.join('.') || 'body'}: ${issue.message}`);
    }
    const { operation, expiresIn, maxSize, directory, filename } = parsed.data;
    const named = { directory, filename } as { directory?: string; filename?: string };
    const target = operation === 'upload' ? validTarget(config.media, named) : parseMediaPath({ directory, filename });
    access.maySign(access.principal(res), operation, target.directory);
    if (!access.signer.enabled) throw new AppError('NOT_FOUND', 'not found: signed URLs need auth.signingKeys (or AUTH_SIGNING_KEY)');

    const [bound, boundKey] =
      operation === 'download'
        ? [config.auth.maxDownloadExpiresIn, 'auth.maxDownloadExpiresIn']
        : [config.auth.maxUploadExpiresIn, 'auth.maxUploadExpiresIn'];
    const lifetime = expiresIn ?? Math.min(DEFAULT_EXPIRES_IN, bound);
    if (lifetime > bound) throw new AppError('INVALID_ARGUMENT', `invalid argument: expiresIn: at most ${bound} seconds (${boundKey})`);
    if (operation === 'download' && maxSize !== undefined)
      throw new AppError('INVALID_ARGUMENT', 'invalid argument: maxSize: for uploads only');
    const max = maxSize ?? config.media.maxFileSize;
    if (max > config.media.maxFileSize) {
      throw new AppError('INVALID_ARGUMENT', `invalid argument: maxSize: at most ${config.media.maxFileSize} bytes (media.maxFileSize)`);
    }

    const exp = access.signer.nowSeconds() + lifetime;
    const claims: SignedClaims = {
      op: operation,
      dir: target.directory,
      name: target.filename,
      exp,
      ...(operation === 'upload' ? { max } : {}),
    };
    const signature = encodeURIComponent(await access.signer.sign(claims));
    const origin = `${req.protocol}://${req.get('host')}`;
    const expiresAt = new Date(exp * 1000).toISOString();
    if (operation === 'download') {
      sendResult(res, 'OK', { url: `${origin}${mediaUrlPath(target)}?signature=${signature}`, expiresAt });
    } else {
      sendResult(res, 'OK', {
        url: `${origin}/media?signature=${signature}`,
        tusEndpoint: `${origin}/uploads?signature=${signature}`,
        expiresAt,
      });
    }
  });
  return router;
}
