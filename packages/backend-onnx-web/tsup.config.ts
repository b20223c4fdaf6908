import { defineConfig } from 'tsup';

// Two builds: `index` for apps that bundle their own onnxruntime-web, and `bundle`, self-contained
// (onnxruntime-web and the contract inlined) for pages that load it by URL, as `wacs web` does.
export default defineConfig([
  { entry: { index: 'src/index.ts' }, format: 'esm', dts: true, sourcemap: true, platform: 'browser', target: 'es2022' },
  { entry: { bundle: 'src/index.ts' }, format: 'esm', platform: 'browser', target: 'es2022', noExternal: [/.*/], sourcemap: false },
]);
