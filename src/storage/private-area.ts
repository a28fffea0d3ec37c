import fs from 'node:fs/promises';
import path from 'node:path';

/**
 * `<root>/.<area>`: a directory for a caller's own work files, as unreachable by the media API as
 * `.incoming` (no API name starts with a dot). Created when absent.
 */
export async function privateArea(root: string, area: string): Promise<string> {
  if (!/^[a-z][a-z0-9-]*$/.test(area)) throw new Error(`not a private area name: ${area}`);
  const directory = path.join(root, `.${area}`);
  await fs.mkdir(directory, { recursive: true });
  return directory;
}
