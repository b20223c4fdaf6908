/**
 * `@wacs/core/backend`: everything a backend author needs, and nothing that runs guests: the
 * contract (backend.ts), tensors, errors, byte helpers and core's format sniffers. No module here
 * imports a `node:` module or does anything when imported, so a backend built on it bundles for a
 * browser (test/contract-entry.test.ts checks that). The runtime (host, runners, jco, workers) is
 * `@wacs/core`; Node-only helpers for backends are `@wacs/core/backend/node`.
 */
export * from './backend.js';
export * from './tensor.js';
export * from './errors.js';
export { concatBytes } from './bytes.js';
export { fetchModelBytes, fetchModelFile } from './fetch-model.js';
export { sniffBytes, sniffFolder, probeBytes, type SniffedFormat } from './sniff.js';
export { settleWithin, RELEASE_GRACE_MS } from './settle.js';
export * from './options/index.js';
export { readTextRequest, textOutputs, type TextRequest, type TextUsage } from './text-io.js';
export { TEXT_GENERATION_OPTIONS, SAMPLING_DEFAULTS, REPEAT_PENALTY_LAST_TOKENS, emptyMeansNone, checkOneConstraint, mergeTextOptions } from './text-options.js';
export { streamSteps } from './stream-steps-from.js';
