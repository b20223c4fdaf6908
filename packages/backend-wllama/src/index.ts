// @wacs/backend-wllama: GGUF language models in a web page, on wllama (llama.cpp in WebAssembly).
export { wllamaBackend } from './backend.js';
export { wllamaBackend as default } from './backend.js';
export { configure, type WllamaSettings } from './engine.js';
export { wllamaOptions, type WllamaOptions } from './options.js';
// The engine itself, for pages (and the benchmark) that compare against wllama called directly.
export { Wllama } from '@wllama/wllama';
