/**
 * The wllama backend's outputs: core's text contract (output "0" the text, "1" and "metadata" the
 * usage JSON) with the llama.cpp build in the usage JSON, as backend-llama (and WasmEdge) give it.
 */
import { textOutputs, type NamedTensor, type TextUsage } from '@wacs/core/backend';
import { Wllama } from '@wllama/wllama';

/** The llama.cpp build wllama was compiled from: its version reads like "b6327-4d74393". */
export function llamaBuild(version = Wllama.getLibllamaVersion()): { llama_build_number: number; llama_commit: string } {
  const match = /^b?(\d+)-(\w+)/.exec(version);
  return { llama_build_number: match ? Number(match[1]) : 0, llama_commit: match ? match[2]! : version };
}

export function wllamaTextOutputs(text: string, usage: TextUsage): NamedTensor[] {
  return textOutputs(text, usage, llamaBuild());
}
