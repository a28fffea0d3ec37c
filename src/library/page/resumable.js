// Large files go up through the resumable upload API (tus, README "Resumable uploads") in chunks,
// with tus-js-client (served by the service at /library/vendor/tus.min.js, the global `tus`): a
// dropped connection is retried from the last chunk the service counted, and after a page reload
// the same file picked again continues where it stopped (tus-js-client keeps the upload's URL in
// localStorage, keyed by the fingerprint below).

/** Files larger than this go through /uploads; smaller ones in one POST /media. */
export const RESUMABLE_THRESHOLD = 8 * 1024 * 1024;
const CHUNK_SIZE = 4 * 1024 * 1024;
// tus-js-client retries network errors, 409, 423 and 5xx after these pauses, then gives up.
const RETRY_DELAYS_MS = [0, 1000, 2000, 4000, 8000, 15000, 30000];

/**
 * Uploads `file` to `directory/file.name` through tus; resolves to the service's answer (the final
 * PATCH answers as POST /media does). `control` receives `{pause, resume}` once it has started.
 */
export function sendResumable(directory, file, headers, { onProgress, signal, onControl, onRetry }, answerOf) {
  return new Promise((resolve) => {
    let settled = false;
    const finish = (answer) => {
      if (settled) return;
      settled = true;
      resolve(answer);
    };
    const upload = new window.tus.Upload(file, {
      endpoint: '/uploads',
      chunkSize: CHUNK_SIZE,
      // A path taken meanwhile is 422 (code 501): a verdict tus-js-client does not retry.
      retryDelays: RETRY_DELAYS_MS,
      // Said on the row: a service that is down would otherwise leave it at its last percentage.
      onShouldRetry: (error, attempt, options) => {
        const retrying = window.tus.defaultOptions.onShouldRetry(error, attempt, options);
        if (retrying) onRetry(attempt + 1, RETRY_DELAYS_MS.length);
        return retrying;
      },
      headers,
      metadata: { directory, filename: file.name },
      // The target is part of the key: the same file picked for another directory is another upload.
      fingerprint: async (picked) => ['media-library', directory, picked.name, picked.size, picked.lastModified].join('|'),
      removeFingerprintOnSuccess: true,
      onProgress: (sent, total) => onProgress(total > 0 ? sent / total : 0),
      onSuccess: ({ lastResponse }) => finish(answerOf(lastResponse.getStatus(), lastResponse.getBody())),
      onError: (error) => {
        const response = error.originalResponse;
        finish(response ? answerOf(response.getStatus(), response.getBody()) : { code: 0, reason: `the upload stopped: ${error.message}` });
      },
    });
    signal.addEventListener(
      'abort',
      () => {
        // Cancel drops what the service holds of it too (tus termination).
        void upload.abort(true).catch(() => {});
        finish({ code: 0, reason: 'cancelled', cancelled: true });
      },
      { once: true },
    );
    onControl({ pause: () => void upload.abort(), resume: () => upload.start() });
    void upload.findPreviousUploads().then((previous) => {
      if (previous.length > 0) upload.resumeFromPreviousUpload(previous[0]);
      upload.start();
    });
  });
}
