/** Whether `prefixes` (a key's directories; undefined = all) cover `directory`: `music` covers `music/live`, not `musical`. */
export function covers(prefixes: readonly string[] | undefined, directory: string): boolean {
  return prefixes === undefined || prefixes.some((prefix) => directory === prefix || directory.startsWith(`${prefix}/`));
}

/**
 * Whether `directory` (`''` = the root) leads towards a covered one: `music` leads to `music/live`.
 * Listing such a directory shows the way there, nothing else.
 */
export function leadsTo(prefixes: readonly string[] | undefined, directory: string): boolean {
  if (prefixes === undefined) return true;
  return prefixes.some((prefix) => directory === '' || prefix.startsWith(`${directory}/`));
}
