/** The tfjs backend's options, declared with core's option kit. */
import { defineOptions } from '@wacs/core/backend';
import { ENGINE_NAMES } from './engine.js';

export const tfjsOptions = defineOptions('tfjs', {
  engine: { type: 'choice', when: 'load', choices: ENGINE_NAMES, doc: 'the tfjs engine to run on (default: the first that works: tfjs-node-gpu, tfjs-node, wasm, cpu)' },
  in_thread: { type: 'boolean', when: 'load', doc: "whether guests may compute in their own thread (default: layers models up to 64 MiB on the wasm and cpu engines)" },
});
