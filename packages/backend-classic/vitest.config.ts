import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // The machine is shared: one test file at a time.
    fileParallelism: false,
  },
});
