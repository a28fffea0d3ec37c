import { existsSync } from 'node:fs';
import path from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * The files that each took 25 s or more in fresh-clone runs of `npm test` (2026-12-07), longest
 * first, as "<project> <path>". A stale list only changes the order files start in.
 */
const LONGEST = [
  'local test/readme-checkout.test.ts',
  'local test/uploads-crash-completion.test.ts',
  'local test/storage/local-index-damage.test.ts',
  'local test/server-start.test.ts',
  'local test/analysis-accuracy.test.ts',
  'local test/media-read-races.test.ts',
  's3 test/media-read-races.test.ts',
  'local test/readme.test.ts',
  'local test/s3-frozen-gateway.test.ts',
  'local test/uploads-crash-patch.test.ts',
  'local test/readme-reference.test.ts',
  'local test/events-log-damage.test.ts',
  'local test/runtime-process.test.ts',
  'local test/library-page.test.ts',
  'local test/uploads-s3-host-killed.test.ts',
  'local test/library-resumable.test.ts',
  'local test/storage/local-read-consistency.test.ts',
];

/**
 * Starts the longest files first, whichever project they belong to, then the others in vitest's
 * own order (one project after the other; by their last duration, or by size in a fresh clone).
 * A long file that starts last runs on alone while the other workers have nothing left to do, as
 * the s3 project's media-read-races did at the end of every fresh-clone run.
 */
export default class LongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const root = this.ctx.config.root;
    const gone = LONGEST.find((entry) => !existsSync(path.join(root, entry.split(' ')[1]!)));
    if (gone) throw new Error(`test/setup/longest-first.ts lists a file that is not there: ${gone}`);
    const rank = (spec: TestSpecification) => {
      const index = LONGEST.indexOf(`${spec.project.name} ${path.relative(root, spec.moduleId)}`);
      return index === -1 ? LONGEST.length : index;
    };
    // Array sort is stable: the files off the list keep vitest's order.
    return sorted.sort((a, b) => rank(a) - rank(b));
  }
}
