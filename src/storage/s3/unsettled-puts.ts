import fs from 'node:fs/promises';
import path from 'node:path';

/** How long a client's retry of an upload answered "outcome unknown" is answered as stored. */
const KEEP_MS = 24 * 60 * 60_000;

interface Unsettled {
  key: string;
  sha256: string;
  at: number;
}

/**
 * Uploads whose PutObject outcome stayed unknown (the gateway froze or died with the request in
 * flight, and could not be asked afterwards): the client was told code 505 "outcome unknown", and
 * the bytes may have landed later. When that client sends the same bytes to the same key again,
 * the conditional PUT meets the earlier object (412): if that object is the one written by the
 * unsettled upload, with the same sha256, the retry is answered as stored rather than 409. Kept
 * as one small file per upload in the host's private area, so every worker process of the host
 * (where the retry may land) sees it.
 */
export class UnsettledPuts {
  private constructor(private readonly directory: string) {}

  static async open(directory: string): Promise<UnsettledPuts> {
    const unsettled = new UnsettledPuts(directory);
    await unsettled.forgetExpired();
    return unsettled;
  }

  async remember(upload: string, key: string, sha256: string): Promise<void> {
    const record: Unsettled = { key, sha256, at: Date.now() };
    await fs.writeFile(this.fileOf(upload), JSON.stringify(record)).catch(() => undefined);
  }

  /** Whether `upload` was left unsettled writing exactly these bytes to this key; it is settled from then on. */
  async settle(upload: string, key: string, sha256: string): Promise<boolean> {
    if (!/^[\w-]+$/.test(upload)) return false;
    const record = await this.read(upload);
    if (!record || record.key !== key || record.sha256 !== sha256 || Date.now() - record.at > KEEP_MS) return false;
    await fs.rm(this.fileOf(upload), { force: true });
    return true;
  }

  private async read(upload: string): Promise<Unsettled | undefined> {
    try {
      return JSON.parse(await fs.readFile(this.fileOf(upload), 'utf8')) as Unsettled;
    } catch {
      return undefined;
    }
  }

  private async forgetExpired(): Promise<void> {
    for (const name of await fs.readdir(this.directory).catch(() => [] as string[])) {
      const record = await this.read(name.replace(/\.json$/, ''));
      if (!record || Date.now() - record.at > KEEP_MS) await fs.rm(path.join(this.directory, name), { force: true });
    }
  }

  private fileOf(upload: string): string {
    return path.join(this.directory, `${upload}.json`);
  }
}
