import { defineConfig } from 'vitest/config';

// @wacs/core is loaded by Node itself, as it is outside this workspace: an in-thread twin loaded
// with `require` then throws the same NnError class the kit checks with `instanceof`. (Vitest would
// otherwise run its own copy of the workspace's core/dist, which is not under node_modules.)
export default defineConfig({
  test: { testTimeout: 120_000, hookTimeout: 120_000, server: { deps: { external: [/\/packages\/core\/dist\//] } } },
});
