import { defineConfig, mergeConfig } from 'vitest/config';
import base from '../../vitest.config.js';

// Only for the child run in vitest-wrapper.test.ts.
export default mergeConfig(base, defineConfig({ test: { include: ['test/wrapper/*.conformance.ts'] } }));
