// @wacs/core: the wasi:nn host for Node.js (importing it sets a V8 flag for guest compiles).
// Backends import the contract from `@wacs/core/backend` instead; it is re-exported here for hosts.
export * from './contract.js';
export * from './contract-node.js';
export { BackendRegistry } from './registry.js';
export { ModelRegistry, parseModelArg, parseNnPreload, registerModelsDir, type ModelSpec } from './models.js';
export { NnHost, NnSession, type HostOptions } from './host.js';
export { WASI_NN_VERSION, STREAM_INPUT } from './abi/component.js';
export { runGuest, EXIT, type RunOptions, type RunResult, type DirGrant } from './runner/run.js';
export { prepareComponent, prepareJspiComponent, describeComponent, transpileComponent, defaultCacheDir, JCO_VERSION, type ComponentInfo, type TranspiledComponent } from './runner/component-cache.js';
export { packArtifact, unpackArtifact, isComponentArtifact, ArtifactError, type ComponentArtifact } from './runner/component-artifact.js';
export { wasmKind, capModuleMemory, type WasmKind } from './runner/wasm-binary.js';
export { GUEST_NICE } from './runner/guest-priority.js';
export * from './serve/index.js';
