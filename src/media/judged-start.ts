/** What the content check reads of a file's start when no ID3 tag comes first. */
export const FIRST_BYTES = 64 * 1024;

/** file-type reads this far past an ID3v2 tag to recognise the audio behind it. */
const PAST_TAG = 4100;

/**
 * The part of a file's first bytes the content check needs, as a copy of its own (a view on a
 * larger buffer would take the whole buffer to the inspect thread): the first FIRST_BYTES, or, when
 * the file opens with an ID3v2 tag (cover art can make it megabytes long), the tag and what
 * file-type reads after it, as far as `start` holds. Judged so, a streamed file gets the verdict
 * the staged path gives it whenever its tag ends within the bytes held.
 */
export function judgedStart(start: Buffer): Buffer {
  return Buffer.from(start.subarray(0, Math.max(FIRST_BYTES, id3TagLength(start) + PAST_TAG)));
}

/** The length of the ID3v2 tag `bytes` opens with (header, body and footer), 0 without one. */
function id3TagLength(bytes: Buffer): number {
  if (bytes.length < 10 || bytes.toString('latin1', 0, 3) !== 'ID3') return 0;
  // The size is "synchsafe": four bytes of 7 bits each.
  const size = ((bytes[6]! & 0x7f) << 21) | ((bytes[7]! & 0x7f) << 14) | ((bytes[8]! & 0x7f) << 7) | (bytes[9]! & 0x7f);
  const footer = bytes[5]! & 0x10 ? 10 : 0;
  return 10 + size + footer;
}
