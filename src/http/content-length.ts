/** A Content-Length header's value as a length (undefined when absent or not a plain decimal: Node refuses those anyway). */
export function contentLengthOf(header: string | undefined): number | undefined {
  return header !== undefined && /^\d{1,15}$/.test(header) ? Number(header) : undefined;
}
