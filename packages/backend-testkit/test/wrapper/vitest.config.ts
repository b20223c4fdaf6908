import { defineConfig } from 'vitest/config';

// Only for the child run in vitest-wrapper.test.ts.
export default defineConfig({ test: { include: ['test/wrapper/*.conformance.ts'], testTimeout: 120_000 } });
