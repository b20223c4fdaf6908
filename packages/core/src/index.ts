// @wacs/core: the wasi:nn host for Node.js.
export * from './errors.js';
export * from './tensor.js';
export { concatBytes, modelBytes } from './bytes.js';
export * from './backend.js';
export { BackendRegistry } from './registry.js';
export { ModelRegistry, parseModelArg, parseNnPreload, registerModelsDir, type ModelSpec } from './models.js';
export { sniffBytes, sniffFolder, probeBytes, probePath, type SniffedFormat } from './detect.js';
export { NnHost, NnSession, type HostOptions } from './host.js';
export { WASI_NN_VERSION } from './abi/component.js';
export { settleWithin, RELEASE_GRACE_MS } from './settle.js';
export { runGuest, EXIT, type RunOptions, type RunResult, type DirGrant } from './runner/run.js';
export { prepareComponent, describeComponent, defaultCacheDir, JCO_VERSION, type ComponentInfo } from './runner/component-cache.js';
export { wasmKind, capModuleMemory, type WasmKind } from './runner/wasm-binary.js';
export { readTextRequest, textOutputs, type TextRequest, type TextUsage } from './text-io.js';
