/**
 * A tiny backend for the kit's own tests: a model is the bytes "DBL1" then a float32 factor, and
 * a compute maps FP32 input "x" (or "0") to output "y" = factor · x. Contexts stream one element
 * per step. Each `Fault` breaks one rule of the backend contract, so the tests can show the kit
 * catches it.
 */
import { NnError, tensorFrom, tensorView, type Backend, type ExecutionContext, type FormatProbe, type Graph, type InThreadSpec, type LoadRequest, type NamedTensor, probeBytes } from '@wacs/core/backend';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

export const FAULTS = [
  'wrong-answer',
  'wrong-byte-length',
  'plain-error-on-garbage',
  'greedy-detect',
  'ignores-unknown-options',
  'missing-path-runtime-error',
  'shared-state',
  'double-dispose-throws',
  'ignores-unknown-input',
  'hangs-without-inputs',
  'poisoned-after-error',
  'stream-final-differs',
  'bad-hardware',
  'reuses-output-buffer',
  'twin-differs',
  'start-engine-once-only',
  'twin-init-not-bridgeable',
] as const;
export type Fault = (typeof FAULTS)[number];

const MAGIC = 'DBL1';
const TWIN_MODULE = fileURLToPath(new URL('./doubler-twin.mjs', import.meta.url));

export function doublerModel(factor: number): Uint8Array {
  const bytes = new Uint8Array(8);
  bytes.set(new TextEncoder().encode(MAGIC));
  new DataView(bytes.buffer).setFloat32(4, factor, true);
  return bytes;
}

function isDoubler(head: Uint8Array): boolean {
  return head.byteLength === 8 && new TextDecoder().decode(head.subarray(0, 4)) === MAGIC;
}

export function makeDoubler(faults: ReadonlySet<Fault> = new Set()): Backend {
  const has = (f: Fault) => faults.has(f);
  let engineStarts = 0;

  class DoublerGraph implements Graph {
    /** Where the `shared-state` fault parks a compute's input: one slot for every context. */
    parked?: Float32Array;
    private disposed = false;
    constructor(readonly factor: number) {}
    createContext(): ExecutionContext {
      return new DoublerContext(this);
    }
    /** Its twin computes in a guest's thread (test/doubler-twin.mjs). */
    inThread(): InThreadSpec {
      const init = { factor: this.factor * (has('twin-differs') ? 2 : 1) };
      // An ArrayBuffer survives a structured clone, but the bridge carries only JSON and Uint8Arrays.
      return { module: TWIN_MODULE, init: has('twin-init-not-bridgeable') ? { ...init, scratch: new ArrayBuffer(4) } : init };
    }
    dispose(): void {
      if (this.disposed && has('double-dispose-throws')) throw new Error('graph already disposed');
      this.disposed = true;
    }
  }

  class DoublerContext implements ExecutionContext {
    private poisoned = false;
    /** Output buffers the `reuses-output-buffer` fault keeps, by length. */
    private readonly kept = new Map<number, Float32Array>();
    constructor(private readonly graph: DoublerGraph) {}

    private input(inputs: NamedTensor[]): NamedTensor['tensor'] {
      const known = inputs.filter((i) => i.name === 'x' || i.name === '0');
      if (!has('ignores-unknown-input') && known.length !== inputs.length) throw new NnError('invalid-argument', 'the doubler reads only "x" (index 0)');
      if (known.length !== 1) throw new NnError('invalid-argument', 'give exactly one input "x" (FP32)');
      const { tensor } = known[0]!;
      if (tensor.type !== 'FP32') throw new NnError('invalid-argument', `input "x" must be FP32, got ${tensor.type}`);
      return tensor;
    }

    private async values(inputs: NamedTensor[]): Promise<{ x: Float32Array; dims: number[] }> {
      if (this.poisoned) throw new NnError('runtime-error', 'this context failed before');
      if (inputs.length === 0 && has('hangs-without-inputs')) await new Promise(() => {});
      let tensor;
      try {
        tensor = this.input(inputs);
      } catch (e) {
        if (has('poisoned-after-error')) this.poisoned = true;
        throw e;
      }
      let x: Float32Array = Float32Array.from(tensorView(tensor) as Float32Array);
      if (has('shared-state')) {
        this.graph.parked = x;
        await new Promise((resolve) => setTimeout(resolve, 5));
        x = this.graph.parked;
      }
      return { x, dims: tensor.dimensions };
    }

    private result(x: Float32Array, dims: number[], factor: number): NamedTensor[] {
      let y: Float32Array = x.map((v) => v * factor);
      if (has('reuses-output-buffer')) {
        const kept = this.kept.get(y.length) ?? new Float32Array(y.length);
        kept.set(y);
        this.kept.set(y.length, kept);
        y = kept;
      }
      const tensor = tensorFrom('FP32', [...dims], y);
      if (has('wrong-byte-length')) tensor.data = tensor.data.subarray(4);
      return [{ name: 'y', tensor }];
    }

    private factor(): number {
      return this.graph.factor + (has('wrong-answer') ? 1 : 0);
    }

    async compute(inputs: NamedTensor[]): Promise<NamedTensor[]> {
      const { x, dims } = await this.values(inputs);
      return this.result(x, dims, this.factor());
    }

    stream(inputs: NamedTensor[]): AsyncIterator<NamedTensor[], NamedTensor[]> {
      const ready = this.values(inputs);
      let index = 0;
      return {
        next: async () => {
          const { x, dims } = await ready;
          if (index < x.length) {
            const value = x[index++]! * this.factor();
            return { done: false, value: [{ name: 'y', tensor: tensorFrom('FP32', [1], Float32Array.of(value)) }] };
          }
          const final = this.result(x, dims, this.factor() * (has('stream-final-differs') ? 2 : 1));
          return { done: true, value: final };
        },
        return: async () => ({ done: true, value: [] }),
      };
    }

    dispose(): void {}
  }

  async function modelBytes(request: LoadRequest): Promise<Uint8Array> {
    if (request.source.kind === 'bytes') return request.source.builders[0] ?? new Uint8Array();
    try {
      return new Uint8Array(await readFile(request.source.path));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT' && !has('missing-path-runtime-error')) throw new NnError('not-found', `no model at ${request.source.path}`);
      throw new NnError('runtime-error', `cannot read ${request.source.path}: ${(e as Error).message}`);
    }
  }

  return {
    name: 'doubler',
    encodings: ['autodetect'],
    detect(probe: FormatProbe): boolean {
      return has('greedy-detect') || (!probe.isDirectory && isDoubler(probe.head));
    },
    async load(request: LoadRequest): Promise<Graph> {
      const unknown = Object.keys(request.options).filter((k) => k !== 'threads');
      if (unknown.length && !has('ignores-unknown-options')) throw new NnError('invalid-argument', `unknown option(s) ${unknown.join(', ')} (known: threads)`);
      const bytes = await modelBytes(request);
      if (!isDoubler(probeBytes([bytes]).head)) {
        if (has('plain-error-on-garbage')) throw new Error('bad magic');
        throw new NnError('invalid-encoding', `not a doubler model: it must be "${MAGIC}" and a float32 factor`);
      }
      return new DoublerGraph(new DataView(bytes.buffer, bytes.byteOffset).getFloat32(4, true));
    },
    inThreadPreparation(): InThreadSpec {
      return { module: TWIN_MODULE, init: { engine: 'doubling' } };
    },
    async startEngine() {
      engineStarts += 1;
      if (engineStarts > 1 && has('start-engine-once-only')) throw new Error('the engine is already started');
    },
    async hardware() {
      return [{ name: 'js', available: !has('bad-hardware'), active: true, detail: 'plain JavaScript' }];
    },
    async dispose() {},
  };
}
