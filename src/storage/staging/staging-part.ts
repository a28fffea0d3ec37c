import type { Readable } from 'node:stream';
import type { ByteSource, StagedBytes, StagingSeam } from '../byte-store.ts';
import type { StagingArea } from './staging-area.ts';

/** The staging part of the ByteStore seam, the same for every backend: the one staging area's verbs. */
export abstract class StagingPart implements StagingSeam {
  constructor(protected readonly staging: StagingArea) {}

  async stage(source: Readable | Uint8Array): Promise<StagedBytes> {
    const { id, size } = await this.staging.stage(source);
    return { id, size };
  }

  async stageFile(file: string, sha256?: string): Promise<StagedBytes> {
    const { id, size } = await this.staging.takeFile(file, sha256);
    return { id, size };
  }

  async adopt(id: string): Promise<StagedBytes | undefined> {
    const held = await this.staging.adopt(id);
    return held && { id: held.id, size: held.size };
  }

  source(staged: StagedBytes): ByteSource {
    const held = this.staging.get(staged.id);
    if (!held) throw new Error(`staged upload ${staged.id} is not held by this store`);
    return held.bytes ? { bytes: held.bytes } : { file: held.file };
  }

  async discard(staged: StagedBytes | string): Promise<void> {
    await this.staging.discard(typeof staged === 'string' ? staged : staged.id);
  }

  staged(): Promise<string[]> {
    return this.staging.ids();
  }
}
