import { defineConfig } from 'tsup';

// Entries: the runtime (`@wacs/core`), the contract for backend authors (`@wacs/core/backend`, no
// runtime, browser-safe), its Node helpers (`@wacs/core/backend/node`), the
// benchmarks' phase marks (`@wacs/core/trace`, tiny, for the CLI to load first), and the worker scripts
// guests run in (loaded by URL next to the bundle).
const libraries = {
  index: 'src/index.ts',
  backend: 'src/contract.ts',
  'backend/node': 'src/contract-node.ts',
  trace: 'src/trace.ts',
};

export default defineConfig({
  entry: {
    ...libraries,
    'component-worker': 'src/runner/component-worker.ts',
    'module-worker': 'src/runner/module-worker.ts',
    'http-worker': 'src/serve/http-worker.ts',
  },
  format: 'esm',
  dts: { entry: libraries },
  sourcemap: true,
  clean: true,
  target: 'node20',
});
