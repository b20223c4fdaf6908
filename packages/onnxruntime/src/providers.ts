/**
 * wasi:nn execution targets → onnxruntime execution providers (EPs).
 *
 * - `cpu`: the CPU EP.
 * - `gpu`: the first GPU EP that starts, in the order cuda, dml (Windows), coreml (macOS), webgpu;
 *   none starting is `unsupported-operation` with each EP's reason.
 * - `auto`: cuda (when its libraries are installed) or dml (Windows), else the CPU. WebGPU and
 *   CoreML serve `auto` only when asked for, since their operator coverage is uneven.
 * - `tpu`: no EP; `unsupported-operation`.
 * onnxruntime adds the CPU EP behind any other, for the nodes a GPU EP does not take.
 */
import { NnError, type ExecutionTarget, type HardwareVariant } from '@wacs/core/backend';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { InferenceSession } from 'onnxruntime-node';
import { ort } from './engine.js';
import { ProtoWriter } from './proto.js';

const GPU_ORDER = ['cuda', 'dml', 'coreml', 'webgpu'];
const AUTO_ORDER = ['cuda', 'dml'];

/** Shared libraries a non-bundled EP needs beside onnxruntime-node's binding (its install script fetches them). */
function providerLibraries(provider: string): string[] {
  if (process.platform === 'win32') return ['onnxruntime_providers_shared.dll', `onnxruntime_providers_${provider}.dll`];
  return ['libonnxruntime_providers_shared.so', `libonnxruntime_providers_${provider}.so`];
}

let bindingDir: string | undefined;
function ortBinaryDir(): string {
  if (!bindingDir) {
    const main = createRequire(import.meta.url).resolve('onnxruntime-node');
    bindingDir = join(dirname(main), '..', 'bin', 'napi-v6', process.platform, process.arch);
  }
  return bindingDir;
}

function missingLibraries(provider: string): string[] {
  return providerLibraries(provider).filter((f) => !existsSync(join(ortBinaryDir(), f)));
}

/** Whether an EP is built into this platform's binary and its extra libraries are installed. */
function installed(provider: string, supported: ReadonlyArray<{ name: string; bundled: boolean }>): { ok: boolean; detail: string } {
  const entry = supported.find((b) => b.name === provider);
  if (!entry) return { ok: false, detail: `not built into onnxruntime-node for ${process.platform}-${process.arch}` };
  if (entry.bundled) return { ok: true, detail: 'bundled with onnxruntime-node' };
  const missing = missingLibraries(provider);
  if (!missing.length) return { ok: true, detail: `${provider} EP libraries installed` };
  return { ok: false, detail: `${provider} EP libraries missing (${missing.join(', ')}); reinstall onnxruntime-node with --onnxruntime-node-install=cuda12` };
}

async function supportedBackends(): Promise<ReadonlyArray<{ name: string; bundled: boolean }>> {
  return (await ort()).listSupportedBackends();
}

/**
 * The providers a target starts with, without trying them. `gpu` gives the first installed GPU
 * EP; `createWithProviders` tries the rest.
 */
function executionProviders(target: ExecutionTarget): string[] {
  if (target === 'tpu') throw new NnError('unsupported-operation', 'onnxruntime has no TPU execution provider; use cpu, gpu or auto');
  if (target === 'cpu') return ['cpu'];
  // Without the engine loaded we only know about files; cuda is the one that needs them.
  const cuda = process.platform !== 'darwin' && missingLibraries('cuda').length === 0;
  if (target === 'gpu') return [cuda ? 'cuda' : process.platform === 'win32' ? 'dml' : process.platform === 'darwin' ? 'coreml' : 'webgpu'];
  return cuda ? ['cuda'] : ['cpu'];
}

/** EPs that failed to start once in this process; `auto` stops trying them. */
const failedToStart = new Set<string>();

/** onnxruntime's first line, without the source location an assertion failure starts with. */
function reason(e: unknown): string {
  const line = String((e as Error).message ?? e).split('\n')[0]!;
  const assertion = line.indexOf(' was false. ');
  return line.startsWith('/') && assertion > 0 ? line.slice(assertion + ' was false. '.length) : line;
}

/**
 * Creates a session on the providers for `target` (or exactly `explicit`, when the options name
 * providers), falling through the candidates as described at the top of this file.
 */
export async function createWithProviders(
  create: (options: InferenceSession.SessionOptions) => Promise<InferenceSession>,
  base: InferenceSession.SessionOptions,
  target: ExecutionTarget,
  explicit?: string[],
): Promise<{ session: InferenceSession; providers: string[] }> {
  if (explicit) return { session: await create({ ...base, executionProviders: explicit }), providers: explicit };
  if (target === 'tpu') executionProviders(target);
  if (target === 'cpu') return { session: await create({ ...base, executionProviders: ['cpu'] }), providers: ['cpu'] };
  const supported = await supportedBackends();
  const order = target === 'gpu' ? GPU_ORDER : AUTO_ORDER;
  const candidates = order.filter((p) => installed(p, supported).ok && !(target === 'auto' && failedToStart.has(p)));
  const reasons: string[] = [];
  for (const provider of candidates) {
    try {
      return { session: await create({ ...base, executionProviders: [provider] }), providers: [provider] };
    } catch (e) {
      failedToStart.add(provider);
      reasons.push(`${provider}: ${reason(e)}`);
    }
  }
  if (target === 'auto') return { session: await create({ ...base, executionProviders: ['cpu'] }), providers: ['cpu'] };
  const notInstalled = order.filter((p) => !candidates.includes(p)).map((p) => `${p}: ${installed(p, supported).detail}`);
  throw new NnError('unsupported-operation', `target gpu: no GPU execution provider could start (${[...notInstalled, ...reasons].join('; ')}); use target cpu or auto`);
}

/** A one-node model (y = Identity(x), x and y float[1]) to see whether an EP starts. */
function probeModel(): Uint8Array {
  const message = (build: (w: ProtoWriter) => ProtoWriter) => build(new ProtoWriter()).finish();
  const dim = message((w) => w.varint(1, 1)); // Dimension.dim_value = 1
  const shape = message((w) => w.bytes(1, dim)); // TensorShapeProto.dim
  const tensorType = message((w) => w.varint(1, 1).bytes(2, shape)); // elem_type FLOAT, shape
  const type = message((w) => w.bytes(1, tensorType)); // TypeProto.tensor_type
  const valueInfo = (name: string) => message((w) => w.string(1, name).bytes(2, type));
  const node = message((w) => w.string(1, 'x').string(2, 'y').string(4, 'Identity'));
  const graph = message((w) => w.bytes(1, node).string(2, 'probe').bytes(11, valueInfo('x')).bytes(12, valueInfo('y')));
  const opset = message((w) => w.string(1, '').varint(2, 17));
  return message((w) => w.varint(1, 8).bytes(8, opset).bytes(7, graph)); // ir_version 8
}

let hardwareList: Promise<HardwareVariant[]> | undefined;

/** Every EP onnxruntime-node has for this platform, tried once with a one-node model. */
export function hardware(): Promise<HardwareVariant[]> {
  return (hardwareList ??= (async () => {
    const { InferenceSession } = await ort();
    const supported = await supportedBackends();
    const names = ['cpu', ...GPU_ORDER, 'tensorrt'].filter((p) => supported.some((b) => b.name === p));
    const variants: HardwareVariant[] = [];
    for (const name of names) {
      const install = installed(name, supported);
      let available = install.ok;
      let detail = install.detail;
      if (available) {
        try {
          const session = await InferenceSession.create(probeModel(), { executionProviders: [name], logSeverityLevel: 4 });
          await session.release();
        } catch (e) {
          available = false;
          detail = `does not start: ${reason(e)}`;
        }
      }
      variants.push({ name, available, detail });
    }
    const active = AUTO_ORDER.find((p) => variants.some((v) => v.name === p && v.available)) ?? 'cpu';
    for (const v of variants) v.active = v.name === active;
    return variants;
  })());
}
