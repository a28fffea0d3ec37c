import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    root: new URL('..', import.meta.url).pathname,
    include: ['test/**/*.test.ts'],
    // One throw-away Ceph cluster (S3 gateway) for the whole run: the S3 tests inject('rgw').
    globalSetup: ['test/setup/rgw-global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Two cores: files run in parallel processes, tests inside a file in order.
    pool: 'forks',
  },
});
