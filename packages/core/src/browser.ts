/**
 * `@wacs/core/browser`: the runtime parts of the wasi:nn host that run in a web page, for
 * `@wacs/browser`: the backend registry, the host and sessions (without named models on a file
 * system) and the component front end. The contract (backends, tensors, errors, sniffers) is
 * `@wacs/core/backend`; this entry adds only what runs guests. No module here imports a `node:`
 * module or does anything when imported (test/contract-entry.test.ts bundles it for a browser).
 */
export { BackendRegistry } from './registry.js';
export { ModelRegistry, type ModelSpec } from './model-registry.js';
export { HEAD_BYTES } from './sniff.js';
export { NnHostBase, NnSession, type HostOptions } from './host-base.js';
export { componentNnImports, WASI_NN_VERSION, type ComponentOptions, type NnCaller } from './abi/component.js';
export { answerEachRequest, type ControlSlots } from './bridge/request-loop.js';
export { StreamSteps } from './bridge/stream-steps.js';
export { packSteps } from './bridge/stream-wire.js';
export { messageBytes, planMessage, readMessage, writeMessage, type PlannedMessage } from './bridge/arena-message.js';
