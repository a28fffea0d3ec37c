import { defineConfig } from 'vitest/config';
import LongestFirst from './setup/longest-first.ts';

const root = new URL('..', import.meta.url).pathname;
const shared = {
  root,
  testTimeout: 30_000,
  hookTimeout: 30_000,
  // Two cores: files run in parallel processes, tests inside a file in order.
  pool: 'forks' as const,
  // A process runs file after file with the modules it loaded kept: each file would otherwise
  // load the service's modules anew through vite's module runner (about 3 s of CPU a file, a fifth
  // of a run's CPU on a machine whose two cores the run keeps busy). The service keeps its state
  // in instances, not modules; the tests restore what they change of the process.
  isolate: false,
};

export default defineConfig({
  test: {
    root,
    // Vitest's own default on two cores is one file at a time; the files mostly wait on the
    // processes they start (services, Ceph, Redis, Chromium, npm), so three at a time on two cores
    // end the run sooner than two.
    maxWorkers: 3,
    sequence: { sequencer: LongestFirst },
    // One throw-away Ceph cluster (S3 gateway) for the whole run, both projects: the S3 tests
    // inject('rgw'). Set here only: a project of its own would start a cluster of its own.
    // And the compiled service the tests start as processes (setup/service-build.ts). First of
    // all, the run's own temp directory (setup/run-temp-dir.ts), removed last.
    globalSetup: ['test/setup/run-temp-dir.ts', 'test/setup/service-build.ts', 'test/setup/rgw-global-setup.ts'],
    projects: [
      { test: { ...shared, name: 'local', include: ['test/**/*.test.ts'] } },
      {
        // The media HTTP suite once more with every service storing in a fresh bucket (helpers/s3-suite.ts).
        test: {
          ...shared,
          name: 's3',
          include: ['test/media-*.test.ts'],
          exclude: ['test/media-urlencoded-scanner.test.ts'],
          env: { TEST_STORAGE_BACKEND: 's3' },
        },
      },
    ],
  },
});
