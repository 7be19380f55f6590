import { defineConfig } from 'vitest/config';

// The browser tests (`npm run e2e`): Debian's Chromium driven by playwright-core against a real
// `callbridge demo` (CALLBRIDGE_BIN). One file, one demo, in order: the tests follow one agent's
// day and share its state.
export default defineConfig({
  test: {
    environment: 'node',
    include: ['e2e/**/*.e2e.ts'],
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 90_000,
    // What each step saw is in the log and target/screenshots/; a retry would hide a flake.
    retry: 0,
  },
});
