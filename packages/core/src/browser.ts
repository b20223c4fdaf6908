/**
 * `@wacs/core/browser`: the parts of the wasi:nn host that run in a web page, for `@wacs/browser`:
 * the backend registry, the host and sessions (without named models on a file system), the
 * sniffers and the component front end. No module here imports a `node:` module or does anything
 * when imported (test/browser-entry.test.ts checks that by bundling it for a browser).
 */
export * from './backend.js';
export * from './tensor.js';
export * from './errors.js';
export { BackendRegistry } from './registry.js';
export { ModelRegistry, type ModelSpec } from './model-registry.js';
export { sniffBytes, sniffFolder, probeBytes, encodingOf, HEAD_BYTES, type SniffedFormat } from './sniff.js';
export { NnHostBase, NnSession, type HostOptions } from './host-base.js';
export { componentNnImports, WASI_NN_VERSION, type ComponentOptions } from './abi/component.js';
export { settleWithin, RELEASE_GRACE_MS } from './settle.js';
