import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // The end-to-end files each start servers with engines and run `wacs` children: one file at a
    // time keeps a small machine responsive and the run bounded.
    fileParallelism: false,
  },
});
