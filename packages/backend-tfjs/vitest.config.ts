import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // tfjs keeps one engine per process: each test file gets its own process.
    pool: 'forks',
  },
});
