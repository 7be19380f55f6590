import { defineConfig } from 'vitest/config';

// The speed harnesses (`npm run bench`): they print figures, they do not pass or fail on them.
// Not part of `npm run e2e`: a 300-call shift takes several minutes.
export default defineConfig({
  test: {
    environment: 'node',
    include: ['e2e/bench/**/*.harness.ts'],
    fileParallelism: false,
    testTimeout: 3_600_000,
    hookTimeout: 120_000,
    retry: 0,
  },
});
