/**
 * node-llama-cpp, loaded on first use (binding the backend costs nothing until a model loads), with
 * one `Llama` for the process: it picks CUDA, Vulkan, Metal or CPU from the prebuilt binaries that
 * node-llama-cpp's optional per-platform packages installed, and never compiles at run time.
 */
import { RELEASE_GRACE_MS, settleWithin } from '@wacs/core/backend';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Llama, LlamaLogLevel } from 'node-llama-cpp';

type NodeLlamaCpp = typeof import('node-llama-cpp');

let moduleLoad: Promise<NodeLlamaCpp> | undefined;
let llamaLoad: Promise<Llama> | undefined;

export function nodeLlamaCpp(): Promise<NodeLlamaCpp> {
  return (moduleLoad ??= import('node-llama-cpp'));
}

/** llama.cpp log levels by verbosity; the logger prints those at or above the current level. */
const VERBOSITY: LlamaLogLevel[] = ['disabled', 'fatal', 'error', 'warn', 'info', 'log', 'debug'] as LlamaLogLevel[];

/** llama.cpp's logs go to stderr: stdout belongs to the guest. */
function logToStderr(level: LlamaLogLevel, message: string): void {
  process.stderr.write(`[llama.cpp ${level}] ${message.replace(/\n$/, '')}\n`);
}

export function llama(): Promise<Llama> {
  return (llamaLoad ??= nodeLlamaCpp().then(({ getLlama }) =>
    getLlama({ gpu: 'auto', build: 'never', logLevel: 'error' as LlamaLogLevel, logger: logToStderr, progressLogs: false }),
  ));
}

/**
 * Releases the engine if it was started (starting it here would load the native binaries).
 * node-llama-cpp's dispose can stay pending for good after a model failed to load, so the wait is
 * bounded: the process is ending anyway, and the operating system reclaims what is left.
 */
export async function disposeLlama(): Promise<void> {
  const started = llamaLoad;
  llamaLoad = undefined;
  const instance = await started?.catch(() => undefined);
  if (instance && !(await settleWithin(instance.dispose(), RELEASE_GRACE_MS))) {
    process.stderr.write(`wacs: node-llama-cpp did not finish releasing llama.cpp within ${RELEASE_GRACE_MS} ms; going on\n`);
  }
}

/** Raises llama.cpp's log level (enable-log, enable-debug-log); it is process-wide and never lowered. */
export function raiseLogLevel(instance: Llama, level: 'info' | 'debug'): void {
  if (VERBOSITY.indexOf(level as LlamaLogLevel) > VERBOSITY.indexOf(instance.logLevel)) instance.logLevel = level as LlamaLogLevel;
}

/** Threads when the options name none: half the math cores, so a busy 2-core machine gets 1 thread. */
export function defaultThreads(instance: Llama): number {
  return Math.max(1, Math.floor(instance.cpuMathCores / 2));
}

export interface BuildInfo {
  /**
   * llama.cpp's build number when node-llama-cpp's llama.cpp release tag is `b<number>`, else 0:
   * always a number, as in WasmEdge (LlamaEdge reads it as one).
   */
  buildNumber: number;
  /** Short llama.cpp commit of the source node-llama-cpp ships and builds its binaries from ("unknown" without it). */
  commit: string;
}

let buildInfo: BuildInfo | undefined;

/**
 * node-llama-cpp exposes the llama.cpp release tag; the commit is the head of the llama.cpp source
 * bundle it ships (llama/gitRelease.bundle, a git bundle whose header lists "<sha> <ref>").
 */
export function llamaBuildInfo(instance: Llama): BuildInfo {
  if (buildInfo) return buildInfo;
  const tag = /^b(\d+)$/.exec(instance.llamaCppRelease.release);
  let commit: string | null = null;
  try {
    const packageDir = join(dirname(fileURLToPath(import.meta.resolve('node-llama-cpp'))), '..');
    const header = readFileSync(join(packageDir, 'llama/gitRelease.bundle')).subarray(0, 4096).toString('latin1');
    commit = /^([0-9a-f]{40}) /m.exec(header)?.[1]?.slice(0, 7) ?? null;
  } catch {
    // No bundle (e.g. a custom build): the commit is unknown.
  }
  return (buildInfo = { buildNumber: tag ? Number(tag[1]) : 0, commit: commit ?? 'unknown' });
}
