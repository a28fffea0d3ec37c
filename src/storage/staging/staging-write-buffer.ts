/**
 * Bytes a staging file's write stream holds before it pushes back. At the default 16 KiB every
 * 64 KiB chunk of an upload waited for its write before the next one was read; with 1 MiB the
 * reading, hashing and writing overlap (the writes go out together, writev). Larger was slower
 * again (test/bench/NOTES.md).
 */
export const STAGING_WRITE_BUFFER_BYTES = 1024 * 1024;
